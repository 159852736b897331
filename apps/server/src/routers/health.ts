import { checkReadinessCached } from '../health.js';
import { publicProcedure } from '../trpc.js';

const startedAt = Date.now();

export const healthRouter = {
  /** The process is up and serving requests. */
  live: publicProcedure.query(() => ({
    status: 'ok' as const,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  })),
  /** PostgreSQL, Redis and object storage each answer; `checks` says which one failed and how fast each was. */
  ready: publicProcedure.query(({ ctx }) => checkReadinessCached(ctx.deps.probes)),
};
