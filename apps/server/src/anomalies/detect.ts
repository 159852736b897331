import {
  DEFAULT_ANOMALY_THRESHOLD,
  DomainError,
  type FeatureSetRepository,
  type FeatureStore,
  floorHour,
  type ModelVersion,
  type ModelVersionRef,
  resolveFeatureSet,
  scoreHour,
  wholeHoursIn,
} from '@aihub/core';
import type { AppDeps } from '../context.js';
import type { ModelCache } from '../predictions/model-cache.js';
import { resolveVersion, runModel } from '../predictions/predict.js';
import { notServableReason } from '../predictions/serving-spec.js';
import { assertEntitiesExist, assertKnownMetric } from '../routers/features.js';

/*
 * anomalies.detect: per entity and whole hour h of [start, end), the actual mean of [h, h+1h)
 * against what was expected for it, judged by the rolling 24 h standard deviation as of h (core's
 * anomalies.ts says exactly how). Everything comes from ONE point-in-time retrieval, the one
 * features.offline runs: for a spine (entity, h) it gives the model's feature set as of h, the
 * `rolling_24h_mean`/`rolling_24h_std` as of h and the label (the mean of [h, h+1h)), so the model
 * sees exactly the vectors features.offline gives and nothing is computed a second way.
 */

export const MAX_DETECT_ENTITIES = 1_000;
/** 31 days of hours. */
export const MAX_DETECT_HOURS = 744;
/** Entity-hours per request, as for features.offline. */
export const MAX_DETECT_ROWS = 10_000;

const HOUR = 3_600_000;
const BASELINE = ['rolling_24h_mean', 'rolling_24h_std'] as const;

export interface DetectInput {
  model?: ModelVersionRef | undefined;
  metric: string;
  entityIds?: readonly string[] | undefined;
  start: Date;
  end: Date;
  threshold?: number | undefined;
}

export interface ScoredHour {
  entityId: string;
  /** The start of the scored hour [hour, hour+1h). */
  hour: Date;
  /** Mean of the readings in the hour; null when it has none. */
  actual: number | null;
  /** The model's prediction from the features as of `hour`, or without a model the rolling 24 h mean. */
  expected: number | null;
  residual: number | null;
  /** Sample std of the raw readings in [hour − 24h, hour); null with fewer than two. */
  std: number | null;
  score: number | null;
  flagged: boolean;
}

/** What scoring needs: the offline store, and for a model its cache. */
export interface ScoringDeps {
  featureStore: FeatureStore;
  cache: ModelCache;
}

/** Scores entities × hours for one metric; with `model`, its features (columns) drive the expectation. */
export async function scoreHours(
  deps: ScoringDeps,
  request: {
    projectId: string;
    metric: string;
    entityIds: readonly string[];
    hours: readonly Date[];
    threshold: number;
    model: { version: ModelVersion; columns: readonly string[] } | null;
  },
): Promise<ScoredHour[]> {
  const spine = request.entityIds.flatMap((entityId) => request.hours.map((asOf) => ({ entityId, asOf })));
  if (spine.length === 0) return [];
  const columns = request.model?.columns ?? [];
  const features = [...columns, ...BASELINE.filter((f) => !columns.includes(f))];
  const rows = await deps.featureStore.retrieveOffline({
    projectId: request.projectId,
    metric: request.metric,
    features,
    spine,
    includeLabel: true,
  });
  const meanAt = features.indexOf('rolling_24h_mean');
  const stdAt = features.indexOf('rolling_24h_std');
  let expected: (number | null)[];
  if (request.model) {
    const width = columns.length;
    const outputs = await deps.cache.use(request.model.version, (loaded) =>
      runModel(
        loaded,
        rows.map((r) => r.values.slice(0, width)),
      ),
    );
    expected = outputs.map((o) => (Number.isFinite(o) ? o : null));
  } else {
    expected = rows.map((r) => r.values[meanAt] ?? null);
  }
  return rows.map((row, i) => {
    const actual = row.label ?? null;
    const std = row.values[stdAt] ?? null;
    const guess = expected[i] ?? null;
    return {
      entityId: row.entityId,
      hour: row.asOf,
      actual,
      expected: guess,
      std,
      ...scoreHour(actual, guess, std, request.threshold),
    };
  });
}

/** A servable version and its input columns (its lineage set's features, in order). */
export async function modelColumns(
  featureSets: FeatureSetRepository,
  projectId: string,
  version: ModelVersion,
) {
  const reason = notServableReason(version);
  if (reason) throw DomainError.badRequest(`model: ${reason}`, { model: [reason] });
  const { featureSet, featureSetVersion } = version.lineage as {
    featureSet: string;
    featureSetVersion: number;
  };
  const set = await resolveFeatureSet(featureSet, featureSetVersion, (n, v) =>
    featureSets.get(projectId, n, v),
  );
  return { version, columns: set.features };
}

function tooMany(field: string, message: string): never {
  throw DomainError.badRequest(`${field}: ${message}`, { [field]: [message] });
}

export async function detectAnomalies(
  deps: AppDeps,
  projectId: string,
  input: DetectInput,
  now = new Date(),
) {
  const threshold = input.threshold ?? DEFAULT_ANOMALY_THRESHOLD;
  const requested = wholeHoursIn(input.start, input.end);
  if (requested.length > MAX_DETECT_HOURS) {
    tooMany(
      'end',
      `[start, end) has ${requested.length} whole hours; at most ${MAX_DETECT_HOURS} (31 days) per request`,
    );
  }
  let model: Awaited<ReturnType<typeof modelColumns>> | null = null;
  if (input.model) {
    model = await modelColumns(
      deps.featureSets,
      projectId,
      await resolveVersion(deps, projectId, input.model),
    );
    const trainedOn = model.version.lineage.targetMetric;
    if (trainedOn !== input.metric) {
      tooMany(
        'metric',
        `${model.version.modelName} v${model.version.version} predicts '${trainedOn}', not '${input.metric}'`,
      );
    }
  }
  await assertKnownMetric(deps, projectId, input.metric);
  if (input.entityIds) await assertEntitiesExist(deps, projectId, input.entityIds, 'entityIds');
  const entityIds = input.entityIds
    ? [...new Set(input.entityIds)]
    : await deps.featureStore.entitiesWithMetric(projectId, input.metric);
  if (entityIds.length > MAX_DETECT_ENTITIES) {
    tooMany(
      'entityIds',
      `the project has ${entityIds.length} entities with '${input.metric}'; name at most ${MAX_DETECT_ENTITIES}`,
    );
  }
  const rows = entityIds.length * requested.length;
  if (rows > MAX_DETECT_ROWS) {
    tooMany(
      'entityIds',
      `${entityIds.length} entities x ${requested.length} hours = ${rows} entity-hours; at most ${MAX_DETECT_ROWS} per request`,
    );
  }
  // Only hours that have ended are scored: the current hour's mean is not known yet.
  const current = floorHour(now).getTime();
  const hours = requested.filter((h) => h.getTime() + HOUR <= current);
  const scored = await scoreHours(
    { featureStore: deps.featureStore, cache: deps.predictions.cache },
    { projectId, metric: input.metric, entityIds, hours, threshold, model },
  );
  return {
    model: model
      ? {
          id: model.version.id,
          name: model.version.modelName,
          version: model.version.version,
          stage: model.version.stage,
        }
      : null,
    metric: input.metric,
    /** What `expected` is: the model's prediction, or the rolling 24 h mean as of the hour. */
    expectation: model ? ('model' as const) : ('rolling_24h_mean' as const),
    threshold,
    /** Whole hours of [start, end) scored (hours not yet ended are left out). */
    hoursScored: hours.length,
    flagged: scored.filter((s) => s.flagged).length,
    rows: scored,
  };
}
