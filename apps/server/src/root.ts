import type { TRPCBuiltRouter, TRPCDecorateCreateRouterOptions } from '@trpc/server';
import { anomaliesRouter } from './anomalies/router.js';
import { predictionsRouter } from './predictions/router.js';
import { modelsRouter } from './registry/router.js';
import { authRouter } from './routers/auth.js';
import { featureExportProcedures } from './routers/feature-exports.js';
import { featuresRouter } from './routers/features.js';
import { featureDriftProcedures } from './routers/features-drift.js';
import { featureOnlineProcedures } from './routers/features-online.js';
import { healthRouter } from './routers/health.js';
import { keysRouter } from './routers/keys.js';
import { projectsRouter } from './routers/projects.js';
import { aggregatesRouter, entitiesRouter, ingestRouter, maintenanceRouter } from './routers/store.js';
import { type AihubErrorShape, createRouter } from './trpc.js';

const procedures = {
  health: healthRouter,
  auth: authRouter,
  projects: projectsRouter,
  keys: keysRouter,
  ingest: ingestRouter,
  entities: entitiesRouter,
  aggregates: aggregatesRouter,
  features: {
    ...featuresRouter,
    ...featureOnlineProcedures,
    ...featureExportProcedures,
    ...featureDriftProcedures,
  },
  maintenance: maintenanceRouter,
  models: modelsRouter,
  predictions: predictionsRouter,
  anomalies: anomaliesRouter,
};

export const appRouter = createRouter(procedures);

export type AppRouter = typeof appRouter;

/**
 * The router as a client sees it: the same procedures, error shape and transformer, without the
 * server's context type. `AppRouter`'s declaration names the context, whose types name pg, ioredis,
 * minio and pino; @aihub/client bundles this declaration instead, so a consumer type-checks it
 * without the server's dependencies installed.
 */
export type ClientAppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: AihubErrorShape; transformer: true },
  TRPCDecorateCreateRouterOptions<typeof procedures>
>;
