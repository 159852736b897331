import {
  DomainError,
  EntityIdSchema,
  FeatureSetNameSchema,
  MetricNameSchema,
  TimestampInputSchema,
  VersionNumberSchema,
  wholeHourCount,
} from '@aihub/core';
import { z } from 'zod';
import { materializeFeatureSet } from '../online/materialize.js';
import { getFeatures } from '../online/serve.js';
import { readerProcedure, writerProcedure } from '../trpc.js';
import { assertEntitiesExist, featureSetFor } from './features.js';

/** Online serving: features.get, features.materialize, features.materializations, features.history. */

export const MAX_GET_ENTITIES = 1_000;
/** Hours one features.history request may cover (one vector per hour). */
export const MAX_HISTORY_HOURS = 10_000;

export const featureOnlineProcedures = {
  /** Latest vectors (online when materialized, else computed), or point-in-time for a past asOf. */
  get: readerProcedure
    .input(
      z.object({
        featureSet: FeatureSetNameSchema,
        version: VersionNumberSchema.optional(),
        metric: MetricNameSchema,
        entityIds: z
          .array(EntityIdSchema)
          .min(1, 'must name at least one entity')
          .max(MAX_GET_ENTITIES, `at most ${MAX_GET_ENTITIES} entities per request`),
        asOf: TimestampInputSchema.optional(),
      }),
    )
    .query(({ ctx, input }) => getFeatures(ctx.deps, ctx.principal.project.id, input, ctx.log)),

  /**
   * Enables (default) or disables keeping a set's vectors online for a metric. Enabling writes the
   * current hour's vectors now; the scheduled job keeps them current after every aggregate refresh.
   */
  materialize: writerProcedure
    .input(
      z.object({
        featureSet: FeatureSetNameSchema,
        version: VersionNumberSchema.optional(),
        metric: MetricNameSchema,
        enabled: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const projectId = ctx.principal.project.id;
      const set = await featureSetFor(ctx.deps, projectId, input.featureSet, input.version);
      const key = { projectId, featureSet: set.name, version: set.version, metric: input.metric };
      const { online } = ctx.deps;
      const registration = await online.materializations.upsert({
        ...key,
        enabled: input.enabled,
        createdBy: ctx.principal.keyName,
      });
      if (!input.enabled) return { registration, asOf: null, entities: 0 };
      try {
        const result = await materializeFeatureSet(
          { ...online, featureStore: ctx.deps.featureStore },
          key,
          set,
        );
        await online.materializations.recordRun(key, { ...result, error: null, at: new Date() });
        return {
          registration: { ...registration, lastAsOf: result.asOf, lastEntities: result.entities },
          ...result,
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await online.materializations.recordRun(key, {
          asOf: new Date(),
          entities: 0,
          error: reason,
          at: new Date(),
        });
        throw error;
      }
    }),

  materializations: readerProcedure.query(({ ctx }) =>
    ctx.deps.online.materializations.list(ctx.principal.project.id),
  ),

  /**
   * What was served: the vectors materialization wrote for an entity, one per hour of [start, end)
   * that was materialized (hours never materialized, or dropped by retention, are absent).
   */
  history: readerProcedure
    .input(
      z
        .object({
          featureSet: FeatureSetNameSchema,
          version: VersionNumberSchema.optional(),
          metric: MetricNameSchema,
          entityId: EntityIdSchema,
          start: TimestampInputSchema,
          end: TimestampInputSchema,
        })
        .refine((r) => r.start < r.end, { message: 'start must be before end', path: ['end'] }),
    )
    .query(async ({ ctx, input }) => {
      const hours = wholeHourCount(input.start, input.end);
      if (hours > MAX_HISTORY_HOURS) {
        throw DomainError.badRequest(
          `end: [start, end) spans ${hours} hours, over the ${MAX_HISTORY_HOURS} one request covers`,
          { end: [`at most ${MAX_HISTORY_HOURS} hours after start`] },
        );
      }
      const projectId = ctx.principal.project.id;
      const set = await featureSetFor(ctx.deps, projectId, input.featureSet, input.version);
      await assertEntitiesExist(ctx.deps, projectId, [input.entityId], 'entityId');
      const key = { projectId, featureSet: set.name, version: set.version, metric: input.metric };
      return {
        featureSet: { name: set.name, version: set.version },
        metric: input.metric,
        entityId: input.entityId,
        columns: set.features,
        vectors: await ctx.deps.online.history.list(key, input.entityId, input.start, input.end),
      };
    }),
};
