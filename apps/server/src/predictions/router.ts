import { EntityIdSchema, ModelVersionRefTextSchema, TimestampInputSchema } from '@aihub/core';
import { z } from 'zod';
import { readerProcedure } from '../trpc.js';
import { predictionBatchProcedures } from './batch.js';
import { DEFAULT_SAMPLES, explain, MAX_SAMPLES } from './explain.js';
import { predict } from './predict.js';

/** predictions.*: served predictions of registered ONNX models over the online features. */

export const MAX_PREDICT_ENTITIES = 1_000;

const PredictInput = z.object({
  model: ModelVersionRefTextSchema,
  entityIds: z
    .array(EntityIdSchema)
    .min(1, 'must name at least one entity')
    .max(MAX_PREDICT_ENTITIES, `at most ${MAX_PREDICT_ENTITIES} entities per request`),
  asOf: TimestampInputSchema.optional(),
  includeFeatures: z.boolean().default(false),
});

const ExplainInput = z.object({
  model: ModelVersionRefTextSchema,
  entityId: EntityIdSchema,
  asOf: TimestampInputSchema.optional(),
  /** Permutations sampled when the model is not additive (fixed seed: same input, same answer). */
  samples: z.number().int().min(10).max(MAX_SAMPLES).default(DEFAULT_SAMPLES),
});

export const predictionsRouter = {
  /** Per entity: the prediction, the vector's asOf, source and staleness; the version that answered. */
  predict: readerProcedure.input(PredictInput).query(({ ctx, input }) =>
    predict(ctx.deps, ctx.principal.project.id, input, ctx.log, {
      requestId: ctx.requestId,
      keyName: ctx.principal.keyName,
    }),
  ),

  /** Per-feature contributions adding up to prediction − baseline: exact when additive, else sampled Shapley. */
  explain: readerProcedure
    .input(ExplainInput)
    .query(({ ctx, input }) => explain(ctx.deps, ctx.principal.project.id, input, ctx.log)),

  ...predictionBatchProcedures,
};
