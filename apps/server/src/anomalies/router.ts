import {
  AnomalyThresholdSchema,
  EntityIdSchema,
  MetricNameSchema,
  ModelVersionRefTextSchema,
  TimestampInputSchema,
} from '@aihub/core';
import { z } from 'zod';
import { readerProcedure } from '../trpc.js';
import { detectAnomalies, MAX_DETECT_ENTITIES } from './detect.js';

/** anomalies.*: hours whose mean is far from what was expected, on request and as the scheduled job kept them. */

const DetectInputSchema = z
  .object({
    /** Without a model, each hour is compared with the rolling 24 h mean as of the hour. */
    model: ModelVersionRefTextSchema.optional(),
    metric: MetricNameSchema,
    /** Default: every entity with readings of the metric. */
    entityIds: z
      .array(EntityIdSchema)
      .min(1, 'must name at least one entity (or leave it out for all)')
      .max(MAX_DETECT_ENTITIES, `at most ${MAX_DETECT_ENTITIES} entities per request`)
      .optional(),
    start: TimestampInputSchema,
    end: TimestampInputSchema,
    /** Flag when |residual| > threshold × rolling 24 h std (default 3). */
    threshold: AnomalyThresholdSchema.optional(),
  })
  .refine((i) => i.start < i.end, { message: 'start must be before end', path: ['end'] });

const ListInputSchema = z
  .object({
    /** A model's name. */
    model: z.string().min(1).max(200).optional(),
    entityId: EntityIdSchema.optional(),
    /** Flagged hours in [from, to). */
    from: TimestampInputSchema.optional(),
    to: TimestampInputSchema.optional(),
    cursor: z.string().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .default({ limit: 50 });

export const anomaliesRouter = {
  /** Per entity and hour of [start, end): actual mean, expected, residual, rolling 24 h std, flag. */
  detect: readerProcedure
    .input(DetectInputSchema)
    .query(({ ctx, input }) => detectAnomalies(ctx.deps, ctx.principal.project.id, input)),

  /** Hours the scheduled job flagged, newest first (cursor pages). */
  list: readerProcedure
    .input(ListInputSchema)
    .query(({ ctx, input }) => ctx.deps.anomalies.flags.list(ctx.principal.project.id, input)),
};
