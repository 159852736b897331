import {
  DomainError,
  EntityIdSchema,
  emptyRowsWarning,
  FeatureListSchema,
  FeatureSetNameSchema,
  isPredefinedFeatureSet,
  MetricNameSchema,
  PREDEFINED_FEATURE_SETS,
  readingsLookbackHours,
  resolveFeatureSet,
  TimestampInputSchema,
  unknownMetricError,
  VersionNumberSchema,
  wholeHourCount,
  wholeHoursIn,
} from '@aihub/core';
import { z } from 'zod';
import type { AppDeps } from '../context.js';
import { readerProcedure, writerProcedure } from '../trpc.js';

/** Rows one interactive request may return; exports are for more. */
export const MAX_OFFLINE_ROWS = 10_000;

const setSelector = {
  featureSet: FeatureSetNameSchema,
  version: VersionNumberSchema.optional(),
};

const OfflineInputSchema = z
  .object({
    ...setSelector,
    metric: MetricNameSchema,
    spine: z
      .array(z.object({ entityId: EntityIdSchema, asOf: TimestampInputSchema }))
      .min(1, 'must have at least one row')
      .max(MAX_OFFLINE_ROWS, `at most ${MAX_OFFLINE_ROWS} rows; use an export for more`)
      .optional(),
    range: z
      .object({
        entityIds: z.array(EntityIdSchema).min(1).max(1000).optional(),
        start: TimestampInputSchema,
        end: TimestampInputSchema,
      })
      .refine((r) => r.start < r.end, { message: 'start must be before end', path: ['end'] })
      .optional(),
    includeLabel: z.boolean().default(false),
  })
  .refine((input) => (input.spine === undefined) !== (input.range === undefined), {
    message: 'give exactly one of spine or range',
    path: ['spine'],
  });

export async function featureSetFor(
  deps: AppDeps,
  projectId: string,
  name: string,
  version: number | undefined,
) {
  return resolveFeatureSet(name, version, (n, v) => deps.featureSets.get(projectId, n, v));
}

/** Unknown entities are a client error naming the field, not silently empty vectors. */
export async function assertEntitiesExist(
  deps: AppDeps,
  projectId: string,
  ids: readonly string[],
  field: string,
) {
  const unique = [...new Set(ids)];
  const known = new Set((await deps.featureStore.entities(projectId, unique)).map((e) => e.entityId));
  const unknown = unique.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 10)
      .map((id) => `'${id}'`)
      .join(', ');
    throw DomainError.badRequest(`${field}: unknown entit${unknown.length === 1 ? 'y' : 'ies'} ${shown}`, {
      [field]: [`unknown: ${shown}`],
    });
  }
}

/** A metric the project never recorded is a client error listing the known ones, not rows of nulls. */
export async function assertKnownMetric(deps: AppDeps, projectId: string, metric: string) {
  if (await deps.featureStore.hasMetric(projectId, metric)) return;
  throw unknownMetricError(metric, await deps.featureStore.knownMetrics(projectId));
}

/**
 * The warnings of a range (retrieval or export): more than 90 % of its rows without a reading in
 * their windows usually means a wrong range or metric. The rows still come back.
 */
export async function rangeWarnings(
  deps: AppDeps,
  request: {
    projectId: string;
    metric: string;
    features: readonly string[];
    entityIds: readonly string[];
    start: Date;
    end: Date;
  },
): Promise<string[]> {
  const lookbackHours = readingsLookbackHours(request.features);
  const total = request.entityIds.length * wholeHourCount(request.start, request.end);
  if (lookbackHours === 0 || total === 0) return [];
  const covered = await deps.featureStore.hoursWithReadings({ ...request, lookbackHours });
  const withReadings = request.entityIds.reduce((sum, id) => sum + (covered.get(id) ?? 0), 0);
  const warning = emptyRowsWarning(total - withReadings, total);
  return warning ? [warning] : [];
}

export const featuresRouter = {
  /** Predefined sets (version 1) and every version of the project's user-defined sets. */
  sets: readerProcedure.query(async ({ ctx }) => {
    const predefined = Object.entries(PREDEFINED_FEATURE_SETS).map(([name, features]) => ({
      name,
      version: 1,
      features: [...features],
      predefined: true,
      description: 'predefined',
      createdAt: null,
    }));
    return [...predefined, ...(await ctx.deps.featureSets.list(ctx.principal.project.id))];
  }),

  /** Creates a user-defined set, or its next version when the features differ from the latest. */
  defineSet: writerProcedure
    .input(
      z.object({
        name: FeatureSetNameSchema,
        features: FeatureListSchema,
        description: z.string().trim().max(500).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (isPredefinedFeatureSet(input.name)) {
        throw DomainError.conflict(`'${input.name}' is a predefined feature set and cannot be redefined`);
      }
      return ctx.deps.featureSets.define({
        projectId: ctx.principal.project.id,
        name: input.name,
        features: input.features,
        description: input.description ?? null,
        createdBy: ctx.principal.keyName,
      });
    }),

  /** Point-in-time vectors for an explicit spine or for entities x whole hours of [start, end). */
  offline: readerProcedure.input(OfflineInputSchema).query(async ({ ctx, input }) => {
    const projectId = ctx.principal.project.id;
    const set = await featureSetFor(ctx.deps, projectId, input.featureSet, input.version);
    await assertKnownMetric(ctx.deps, projectId, input.metric);
    let spine: { entityId: string; asOf: Date }[];
    let warnings: string[] = [];
    if (input.spine) {
      await assertEntitiesExist(
        ctx.deps,
        projectId,
        input.spine.map((s) => s.entityId),
        'spine',
      );
      spine = input.spine;
    } else {
      const range = input.range as NonNullable<typeof input.range>;
      if (range.entityIds) await assertEntitiesExist(ctx.deps, projectId, range.entityIds, 'range.entityIds');
      const entityIds =
        range.entityIds ?? (await ctx.deps.featureStore.entitiesWithMetric(projectId, input.metric));
      const hours = wholeHourCount(range.start, range.end);
      if (entityIds.length * hours > MAX_OFFLINE_ROWS) {
        throw DomainError.badRequest(
          `range: ${entityIds.length} entities x ${hours} hours = ${entityIds.length * hours} rows, over the ${MAX_OFFLINE_ROWS} an interactive request returns; use an export`,
          { range: [`at most ${MAX_OFFLINE_ROWS} rows`] },
        );
      }
      // No entities: no rows, however long the range (its hours are never listed).
      const asOfs = entityIds.length === 0 ? [] : wholeHoursIn(range.start, range.end);
      spine = entityIds.flatMap((entityId) => asOfs.map((asOf) => ({ entityId, asOf })));
      warnings = await rangeWarnings(ctx.deps, {
        projectId,
        metric: input.metric,
        features: set.features,
        entityIds,
        start: range.start,
        end: range.end,
      });
    }
    const rows = await ctx.deps.featureStore.retrieveOffline({
      projectId,
      metric: input.metric,
      features: set.features,
      spine,
      includeLabel: input.includeLabel,
    });
    return {
      featureSet: { name: set.name, version: set.version },
      metric: input.metric,
      columns: set.features,
      rows,
      /** Empty unless most rows of a range have no readings in their windows. */
      warnings,
    };
  }),
};
