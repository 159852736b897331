import { authRouter } from './routers/auth.js';
import { featureExportProcedures } from './routers/feature-exports.js';
import { featuresRouter } from './routers/features.js';
import { featureOnlineProcedures } from './routers/features-online.js';
import { healthRouter } from './routers/health.js';
import { keysRouter } from './routers/keys.js';
import { modelsRouter } from './routers/models.js';
import { projectsRouter } from './routers/projects.js';
import { aggregatesRouter, entitiesRouter, ingestRouter, maintenanceRouter } from './routers/store.js';
import { createRouter } from './trpc.js';

export const appRouter = createRouter({
  health: healthRouter,
  auth: authRouter,
  projects: projectsRouter,
  keys: keysRouter,
  ingest: ingestRouter,
  entities: entitiesRouter,
  aggregates: aggregatesRouter,
  features: { ...featuresRouter, ...featureOnlineProcedures, ...featureExportProcedures },
  maintenance: maintenanceRouter,
  models: modelsRouter,
});

export type AppRouter = typeof appRouter;
