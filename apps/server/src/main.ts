#!/usr/bin/env node
// The server process: validated environment, start, and graceful shutdown on SIGTERM/SIGINT.
import { EnvError, loadEnv } from './env.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(`aihub-server: ${error.message}\nSee .env.example for every setting.`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(env.LOG_LEVEL);
  const server = await startServer(env, logger);
  logger.info({ url: server.url }, 'AI Hub server listening');
  console.log(`AI Hub server listening on ${server.url}`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`aihub-server: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
