import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@aihub/db/testing';
import type { DestinationStream } from 'pino';
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

export async function startTestServer(
  overrides: Record<string, string> = {},
  options: {
    logDestination?: DestinationStream;
    /** The server's database URL from the test database's (e.g. through a fault proxy). */
    databaseUrl?: (url: string) => string;
    /** A database of the caller's (kept on stop), e.g. to read it after the server stopped. */
    database?: { url: string };
  } = {},
): Promise<TestServer & { databaseUrl: string }> {
  const database = options.database
    ? { url: options.database.url, drop: async () => {} }
    : await createTestDatabase();
  const adminKey = generateApiKey().token;
  try {
    const env = loadEnv({
      ...process.env,
      PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      AIHUB_MIGRATE_ON_START: 'false',
      DB_POOL_MAX: '5',
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
      ...overrides,
    });
    const server = await startServer(env, createLogger(env.LOG_LEVEL, options.logDestination));
    return {
      url: server.url,
      env,
      adminKey,
      databaseUrl: database.url,
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

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

const serverEntry = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * The built server as its own process (`node dist/main.js`) on a free port, as deployed: for
 * end-to-end tests and benchmarks. Resolves once it prints its URL. `nodeArgs` go before the entry
 * (e.g. --cpu-prof for profiling).
 */
export async function spawnServerProcess(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, serverEntry], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid as number,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export { type Direction, type FaultProxy, startFaultProxy } from './fault-proxy.js';
