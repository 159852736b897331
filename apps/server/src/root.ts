import { authRouter } from './routers/auth.js';
import { healthRouter } from './routers/health.js';
import { keysRouter } from './routers/keys.js';
import { projectsRouter } from './routers/projects.js';
import { createRouter } from './trpc.js';

export const appRouter = createRouter({
  health: healthRouter,
  auth: authRouter,
  projects: projectsRouter,
  keys: keysRouter,
});

export type AppRouter = typeof appRouter;
