import {
  DomainError,
  ExportStatusSchema,
  ModelNameSchema,
  type ModelVersionRef,
  ModelVersionRefTextSchema,
  type PredictionBatch,
  TimestampInputSchema,
} from '@aihub/core';
import { z } from 'zod';
import type { AppDeps } from '../context.js';
import {
  exactlyOneSource,
  idInput,
  RowRangeSchema,
  RowSpineSchema,
  resolveRowSource,
} from '../routers/feature-exports.js';
import { readerProcedure, writerProcedure } from '../trpc.js';
import { resolveVersion } from './predict.js';
import { notServableReason } from './serving-spec.js';

/*
 * predictions.batch / batches / batchGet / cancelBatch: batch predictions as durable jobs, named
 * and shaped as the exports' procedures are (features.export / exports / exportGet / cancelExport).
 * The rows are a spine or a range with the exports' limits; the model version is resolved once,
 * here, and recorded: a promotion after this does not change what the batch runs.
 */

const BatchInputSchema = z
  .object({
    model: ModelVersionRefTextSchema,
    range: RowRangeSchema.optional(),
    spine: RowSpineSchema.optional(),
    /** Also write the model's input features (as the offline store gave them, before imputation). */
    includeFeatures: z.boolean().default(false),
  })
  .refine(exactlyOneSource.check, exactlyOneSource.params);

const refText = (ref: ModelVersionRef): string => {
  if ('id' in ref) return ref.id;
  if ('version' in ref) return `${ref.name}@${ref.version}`;
  return `${ref.name}@${'stage' in ref ? ref.stage : ref.alias}`;
};

async function startBatch(
  deps: AppDeps,
  principal: { projectId: string; keyName: string },
  input: z.infer<typeof BatchInputSchema>,
): Promise<PredictionBatch> {
  const { projectId } = principal;
  const version = await resolveVersion(deps, projectId, input.model);
  const reason = notServableReason(version);
  if (reason) throw DomainError.badRequest(`model: ${reason}`, { model: [reason] });
  // The model's inputs: its lineage set's columns, as serving reads them (loads it, checked).
  const { spec } = await deps.predictions.cache.use(version, async (model) => model);
  const { source, totalRows, warnings } = await resolveRowSource(
    deps,
    projectId,
    { metric: spec.metric, features: spec.columns, spine: input.spine, range: input.range },
    'batch',
  );
  const created = await deps.predictionBatches.batches.create({
    projectId,
    model: { id: version.id, name: version.modelName, version: version.version },
    params: {
      modelRef: refText(input.model),
      featureSet: spec.featureSet,
      version: spec.featureSetVersion,
      metric: spec.metric,
      features: [...spec.columns],
      includeFeatures: input.includeFeatures,
      source,
    },
    totalRows,
    spine: input.spine ?? null,
    warnings,
    createdBy: principal.keyName,
  });
  try {
    await deps.jobs.requestPredictionBatch(created.id);
  } catch (error) {
    await deps.predictionBatches.batches.fail(created.id, 'could not queue the prediction batch job');
    throw error;
  }
  return created;
}

export const predictionBatchProcedures = {
  /** Starts a durable batch prediction job and answers with its record (status queued) at once. */
  batch: writerProcedure
    .input(BatchInputSchema)
    .mutation(({ ctx, input }) =>
      startBatch(ctx.deps, { projectId: ctx.principal.project.id, keyName: ctx.principal.keyName }, input),
    ),

  batches: readerProcedure
    .input(
      z
        .object({
          status: ExportStatusSchema.optional(),
          model: ModelNameSchema.optional(),
          createdFrom: TimestampInputSchema.optional(),
          createdTo: TimestampInputSchema.optional(),
          cursor: z.string().optional(),
          limit: z.number().int().min(1).max(200).default(50),
        })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => ctx.deps.predictionBatches.batches.list(ctx.principal.project.id, input)),

  /** One batch; a succeeded one comes with a presigned download URL. */
  batchGet: readerProcedure.input(idInput).query(async ({ ctx, input }) => {
    const found = await ctx.deps.predictionBatches.batches.get(ctx.principal.project.id, input.id);
    if (found.status !== 'succeeded' || !found.objectKey)
      return { ...found, downloadUrl: null, expiresAt: null };
    const ttl = ctx.deps.predictionBatches.downloadUrlTtlSeconds;
    return {
      ...found,
      downloadUrl: await ctx.deps.predictionBatches.objects.presignGet(found.objectKey, ttl),
      expiresAt: new Date(Date.now() + ttl * 1000),
    };
  }),

  /** Stops a queued or running batch; the worker removes what it had uploaded. */
  cancelBatch: writerProcedure
    .input(idInput)
    .mutation(({ ctx, input }) =>
      ctx.deps.predictionBatches.batches.cancel(ctx.principal.project.id, input.id),
    ),
};
