import type { Logger } from 'pino';
import { createApp } from './app.js';
import type { Env } from './env.js';
import { startHttpServer } from './http.js';

export interface RunningServer {
  url: string;
  /** Graceful: stop accepting, finish in-flight requests, close pools. */
  stop(): Promise<void>;
}

/** Builds the app from the environment and listens; used by main.ts and by the end-to-end tests. */
export async function startServer(env: Env, logger: Logger): Promise<RunningServer> {
  const app = await createApp(env, logger);
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(app.deps, { host: env.HOST, port: env.PORT, webDir: env.AIHUB_WEB_DIR });
  } catch (error) {
    await app.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: http.url,
    stop() {
      stopping ??= (async () => {
        await http.close(env.SHUTDOWN_TIMEOUT_MS);
        await app.close();
      })();
      return stopping;
    },
  };
}
