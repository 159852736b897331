import {
  type AnomalyRepository,
  type FeatureSetRepository,
  type FeatureStore,
  floorHour,
  type ModelRegistryRepository,
  optedInThreshold,
} from '@aihub/core';
import type { Logger } from 'pino';
import type { ModelCache } from '../predictions/model-cache.js';
import { MAX_DETECT_ENTITIES, modelColumns, scoreHours } from './detect.js';

/*
 * The scheduled anomaly job: the last complete hour, for the production version of every model
 * that opted in (`metadata.anomalies`, see core's anomalies.ts), over every entity with readings of
 * its target metric, in chunks of MAX_DETECT_ENTITIES. Each chunk's flags replace that chunk's
 * earlier flags of the hour in one transaction, so a re-run of the hour never duplicates a row.
 */

export interface AnomalyJobDeps {
  flags: AnomalyRepository;
  models: ModelRegistryRepository;
  featureStore: FeatureStore;
  featureSets: FeatureSetRepository;
  cache: ModelCache;
}

const HOUR = 3_600_000;

/** Scores the hour [hour, hour+1h) for one opted-in version; how many entities it flagged. */
export async function scoreVersionHour(
  deps: AnomalyJobDeps,
  projectId: string,
  versionId: string,
  hour: Date,
): Promise<{ scored: number; flagged: number }> {
  const version = await deps.models.get(projectId, { id: versionId });
  const threshold = optedInThreshold(version.metadata);
  if (threshold === null || version.status !== 'ready')
    throw new Error(`${version.modelName} v${version.version} has not opted in or is not ready`);
  const model = await modelColumns(deps.featureSets, projectId, version);
  const targetMetric = version.lineage.targetMetric as string;
  const entityIds = await deps.featureStore.entitiesWithMetric(projectId, targetMetric);
  let scored = 0;
  let flagged = 0;
  for (let i = 0; i < entityIds.length; i += MAX_DETECT_ENTITIES) {
    const chunk = entityIds.slice(i, i + MAX_DETECT_ENTITIES);
    const rows = await scoreHours(deps, {
      projectId,
      metric: targetMetric,
      entityIds: chunk,
      hours: [hour],
      threshold,
      model,
    });
    const flags = rows
      .filter((r) => r.flagged)
      .map((r) => ({
        entityId: r.entityId,
        hour: r.hour,
        actual: r.actual as number,
        expected: r.expected as number,
        residual: r.residual as number,
        std: r.std as number,
        threshold,
      }));
    await deps.flags.record(
      { projectId, modelVersionId: version.id, metric: targetMetric, hour, entityIds: chunk },
      flags,
    );
    scored += rows.length;
    flagged += flags.length;
  }
  return { scored, flagged };
}

/** The job: the last complete hour before `now`, every opted-in production version. */
export async function scoreLastCompleteHour(
  deps: AnomalyJobDeps,
  log: Logger,
  now = new Date(),
): Promise<{ hour: Date; versions: number; flagged: number; failed: number }> {
  const hour = new Date(floorHour(now).getTime() - HOUR);
  let versions = 0;
  let flagged = 0;
  let failed = 0;
  for (const { projectId, versionId } of await deps.flags.optedInVersions()) {
    try {
      const result = await scoreVersionHour(deps, projectId, versionId, hour);
      versions++;
      flagged += result.flagged;
      if (result.flagged > 0)
        log.warn({ modelVersionId: versionId, hour, flagged: result.flagged }, 'anomalies flagged');
    } catch (error) {
      failed++;
      log.warn({ err: error, modelVersionId: versionId, hour }, 'could not score the hour for anomalies');
    }
  }
  return { hour, versions, flagged, failed };
}
