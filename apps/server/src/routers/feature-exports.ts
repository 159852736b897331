import {
  DomainError,
  EntityIdSchema,
  type ExportParams,
  ExportStatusSchema,
  type FeatureExport,
  FeatureSetNameSchema,
  MetricNameSchema,
  type RowSource,
  rangeRowCount,
  TimestampInputSchema,
  VersionNumberSchema,
  wholeHourCount,
} from '@aihub/core';
import { z } from 'zod';
import type { AppDeps } from '../context.js';
import { readerProcedure, writerProcedure } from '../trpc.js';
import { assertEntitiesExist, assertKnownMetric, featureSetFor, rangeWarnings } from './features.js';

/** Training-set exports: features.export / exports / exportGet / cancelExport. */

// An inline spine travels in one request body (about 60 bytes a row); larger ones are ranges.
export const MAX_EXPORT_SPINE_ROWS = 100_000;
const MAX_EXPORT_ENTITIES = 10_000;
const MAX_EXPORT_ROWS = 1_000_000_000;
/**
 * Hours one range export covers (about 114 years): the runner hands the range's hours to
 * PostgreSQL as one array (a million hours is some 80 MB for a moment), so a range over millennia
 * would exhaust the heap.
 */
export const MAX_EXPORT_RANGE_HOURS = 1_000_000;

/** A range of whole hours for some or all entities (exports and prediction batches). */
export const RowRangeSchema = z
  .object({
    entityIds: z.array(EntityIdSchema).min(1).max(MAX_EXPORT_ENTITIES).optional(),
    start: TimestampInputSchema,
    end: TimestampInputSchema,
  })
  .refine((r) => r.start < r.end, { message: 'start must be before end', path: ['end'] });

/** An inline spine (exports and prediction batches). */
export const RowSpineSchema = z
  .array(z.object({ entityId: EntityIdSchema, asOf: TimestampInputSchema }))
  .max(MAX_EXPORT_SPINE_ROWS, `at most ${MAX_EXPORT_SPINE_ROWS} rows inline; use a range for more`);

/** Refinement of an input taking a spine or a range: exactly one of the two. */
export const exactlyOneSource = {
  check: (input: { spine?: unknown; range?: unknown }) =>
    (input.spine === undefined) !== (input.range === undefined),
  params: { message: 'give exactly one of spine or range', path: ['range'] },
};

const ExportInputSchema = z
  .object({
    featureSet: FeatureSetNameSchema,
    version: VersionNumberSchema.optional(),
    metric: MetricNameSchema,
    range: RowRangeSchema.optional(),
    spine: RowSpineSchema.optional(),
    includeLabel: z.boolean().default(false),
  })
  .refine(exactlyOneSource.check, exactlyOneSource.params);

export const idInput = z.object({ id: z.string().min(1) });

/**
 * The rows a spine or a range asks for, checked (known entities, at most MAX_EXPORT_RANGE_HOURS
 * hours and MAX_EXPORT_ROWS rows) and counted, with the warnings of a range that is mostly empty.
 */
export async function resolveRowSource(
  deps: AppDeps,
  projectId: string,
  request: {
    metric: string;
    features: readonly string[];
    spine?: z.infer<typeof RowSpineSchema> | undefined;
    range?: z.infer<typeof RowRangeSchema> | undefined;
  },
  job: 'export' | 'batch' = 'export',
): Promise<{ source: RowSource; totalRows: number; warnings: string[] }> {
  if (request.spine) {
    await assertEntitiesExist(
      deps,
      projectId,
      request.spine.map((s) => s.entityId),
      'spine',
    );
    return {
      source: { kind: 'spine', rows: request.spine.length },
      totalRows: request.spine.length,
      warnings: [],
    };
  }
  const range = request.range as NonNullable<typeof request.range>;
  const hours = wholeHourCount(range.start, range.end);
  if (hours > MAX_EXPORT_RANGE_HOURS) {
    const reason = `covers ${hours} hours; one ${job} covers at most ${MAX_EXPORT_RANGE_HOURS}`;
    throw DomainError.badRequest(`Invalid input: range: ${reason}`, { range: [reason] });
  }
  if (range.entityIds) await assertEntitiesExist(deps, projectId, range.entityIds, 'range.entityIds');
  const entityIds =
    range.entityIds ?? (await deps.featureStore.entitiesWithMetric(projectId, request.metric));
  const totalRows = rangeRowCount({ entityIds, start: range.start, end: range.end });
  if (totalRows > MAX_EXPORT_ROWS) {
    throw DomainError.badRequest(
      `range: ${totalRows} rows is over the ${MAX_EXPORT_ROWS} one ${job} writes`,
      {
        range: [`at most ${MAX_EXPORT_ROWS} rows`],
      },
    );
  }
  const warnings = await rangeWarnings(deps, {
    projectId,
    metric: request.metric,
    features: request.features,
    entityIds,
    start: range.start,
    end: range.end,
  });
  const source: RowSource = {
    kind: 'range',
    entityIds: range.entityIds ?? null,
    resolvedEntities: entityIds.length,
    start: range.start.toISOString(),
    end: range.end.toISOString(),
  };
  return { source, totalRows, warnings };
}

async function startExport(
  deps: AppDeps,
  principal: { projectId: string; keyName: string },
  input: z.infer<typeof ExportInputSchema>,
): Promise<FeatureExport> {
  const { projectId } = principal;
  const set = await featureSetFor(deps, projectId, input.featureSet, input.version);
  await assertKnownMetric(deps, projectId, input.metric);
  const { source, totalRows, warnings } = await resolveRowSource(deps, projectId, {
    ...input,
    features: set.features,
  });
  const params: ExportParams = {
    featureSet: set.name,
    version: set.version,
    metric: input.metric,
    features: set.features,
    includeLabel: input.includeLabel,
    source,
  };
  const created = await deps.exports.exports.create({
    projectId,
    params,
    totalRows,
    spine: input.spine ?? null,
    warnings,
    createdBy: principal.keyName,
  });
  try {
    await deps.jobs.requestExport(created.id);
  } catch (error) {
    await deps.exports.exports.fail(created.id, 'could not queue the export job');
    throw error;
  }
  return created;
}

export const featureExportProcedures = {
  /** Starts a durable export job and answers with its record (status queued) at once. */
  export: writerProcedure
    .input(ExportInputSchema)
    .mutation(({ ctx, input }) =>
      startExport(ctx.deps, { projectId: ctx.principal.project.id, keyName: ctx.principal.keyName }, input),
    ),

  exports: readerProcedure
    .input(
      z
        .object({
          status: ExportStatusSchema.optional(),
          featureSet: FeatureSetNameSchema.optional(),
          createdFrom: TimestampInputSchema.optional(),
          createdTo: TimestampInputSchema.optional(),
          cursor: z.string().optional(),
          limit: z.number().int().min(1).max(200).default(50),
        })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => ctx.deps.exports.exports.list(ctx.principal.project.id, input)),

  /** One export; a succeeded one comes with its statistics and a presigned download URL. */
  exportGet: readerProcedure.input(idInput).query(async ({ ctx, input }) => {
    const found = await ctx.deps.exports.exports.get(ctx.principal.project.id, input.id);
    if (found.status !== 'succeeded' || !found.objectKey)
      return { ...found, statistics: null, downloadUrl: null, expiresAt: null };
    const ttl = ctx.deps.exports.downloadUrlTtlSeconds;
    return {
      ...found,
      statistics: await ctx.deps.exports.exports.statistics(found.projectId, found.id),
      downloadUrl: await ctx.deps.exports.objects.presignGet(found.objectKey, ttl),
      expiresAt: new Date(Date.now() + ttl * 1000),
    };
  }),

  /** Stops a queued or running export; the worker removes what it had uploaded. */
  cancelExport: writerProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => ctx.deps.exports.exports.cancel(ctx.principal.project.id, input.id)),
};
