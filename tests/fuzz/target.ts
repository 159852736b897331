import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@aihub/db/testing';
import { type ServerProcess, spawnServerProcess } from '@aihub/server/testing';
import { buildFixture, type FuzzFixture } from './fixture.js';

/** The built server as its own process, on a database of its own, with the fuzzer's fixture in it. */
export interface FuzzTarget {
  url: string;
  server: ServerProcess;
  fixture: FuzzFixture;
  stop(): Promise<void>;
}

export async function startFuzzTarget(env: Record<string, string> = {}): Promise<FuzzTarget> {
  const database = await createTestDatabase();
  const rootKey = `aihub_fuzzroot_${randomBytes(32).toString('base64url').slice(0, 43)}`;
  let server: ServerProcess | undefined;
  try {
    server = await spawnServerProcess({
      DATABASE_URL: database.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: rootKey,
      AIHUB_MIGRATE_ON_START: 'false',
      // Room for the fuzzer's concurrent requests beside the job workers: waiting out the pool's
      // 5 s connect timeout would answer 503, which is overload, not bad input.
      DB_POOL_MAX: '12',
      // Errors only: every 500 is logged with its request id and cause.
      LOG_LEVEL: 'error',
      ...env,
    });
    const fixture = await buildFixture(server.url, rootKey);
    const running = server;
    return {
      url: running.url,
      server: running,
      fixture,
      async stop() {
        await running.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await server?.stop();
    await database.drop();
    throw error;
  }
}
