import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './root.js';

export { type App, createApp } from './app.js';
export { type AppDeps, type Context, createInnerContext } from './context.js';
export { type Env, EnvError, EnvSchema, loadEnv } from './env.js';
export { MAX_BATCH_SIZE } from './limits.js';
export { createLogger } from './logger.js';
export { REST_ROUTES, type RestRoute } from './rest/routes.js';
export { type AppRouter, appRouter } from './root.js';
export { type RunningServer, startServer } from './server.js';
export { createCallerFactory } from './trpc.js';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
// Used by the benchmarks to compare against the raw libraries on the same keys and encoding.
export { ExportStatisticsAccumulator } from './exports/feature-statistics.js';
export { openExportWriter } from './exports/parquet.js';
export { onlineKey } from './online/redis-online-store.js';
