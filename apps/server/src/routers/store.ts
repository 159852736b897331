import { DomainError } from '@aihub/core';
import { z } from 'zod';
import { ingestRecords } from '../ingest/service.js';
import { adminProcedure, readerProcedure, writerProcedure } from '../trpc.js';

// Inline ingest is for small batches; files go to POST /v1/ingest/<kind>, which streams.
const MAX_INLINE_RECORDS = 10_000;
const inlineInput = z.object({
  records: z
    .array(z.record(z.string(), z.unknown()))
    .min(1)
    .max(MAX_INLINE_RECORDS, `at most ${MAX_INLINE_RECORDS} records; upload a file for more`),
  strict: z.boolean().default(false),
});

export const ingestRouter = {
  entities: writerProcedure
    .input(inlineInput)
    .mutation(({ ctx, input }) =>
      ingestRecords(ctx.deps, ctx.principal, { kind: 'entities', strict: input.strict }, input.records),
    ),
  readings: writerProcedure
    .input(inlineInput)
    .mutation(({ ctx, input }) =>
      ingestRecords(ctx.deps, ctx.principal, { kind: 'readings', strict: input.strict }, input.records),
    ),
  weather: writerProcedure
    .input(inlineInput)
    .mutation(({ ctx, input }) =>
      ingestRecords(ctx.deps, ctx.principal, { kind: 'weather', strict: input.strict }, input.records),
    ),
};

export const entitiesRouter = {
  list: readerProcedure
    .input(z.object({ ids: z.array(z.string()).max(1000).optional() }).default({}))
    .query(({ ctx, input }) => ctx.deps.featureStore.entities(ctx.principal.project.id, input.ids)),
};

export const aggregatesRouter = {
  /** Recomputes the buckets invalidated since the last refresh, now (it also runs on a schedule). */
  refresh: writerProcedure.mutation(({ ctx }) => ctx.deps.featureStore.refresh(ctx.principal.project.id)),
  status: readerProcedure.query(async ({ ctx }) => ({
    pendingBuckets: await ctx.deps.featureStore.pendingInvalidations(ctx.principal.project.id),
  })),
};

export const maintenanceRouter = {
  /**
   * Applies the retention policy now (it also runs daily). Platform-wide, so root admins only.
   */
  retention: adminProcedure.mutation(async ({ ctx }) => {
    if (!ctx.principal.project.isRoot) {
      throw DomainError.forbidden('Retention is platform-wide: only admins of the root project can run it');
    }
    return ctx.deps.featureStore.applyRetention({ ...ctx.deps.retention, now: new Date() });
  }),
};
