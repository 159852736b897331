import { createTestDatabase } from '@aihub/db/testing';
import { generateApiKey } from './api-keys.js';
import { type Env, loadEnv } from './env.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

/*
 * Test fixture: the real server on a free port, against its own database cloned from the migrated
 * template and the real Redis and object store named by the environment (scripts/services.sh env).
 */

export interface TestServer {
  url: string;
  env: Env;
  /** An admin key of the root project. */
  adminKey: string;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const adminKey = generateApiKey().token;
  try {
    const env = loadEnv({
      ...process.env,
      PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      AIHUB_MIGRATE_ON_START: 'false',
      DB_POOL_MAX: '5',
      DATABASE_URL: database.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
      ...overrides,
    });
    const server = await startServer(env, createLogger(env.LOG_LEVEL));
    return {
      url: server.url,
      env,
      adminKey,
      async stop() {
        await server.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
