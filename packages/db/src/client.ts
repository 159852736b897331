import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export interface DbConfig {
  /** postgresql:// connection string. */
  url: string;
  /** Pool size shared by Prisma and raw SQL. */
  poolMax?: number;
  /** Name reported to PostgreSQL (pg_stat_activity.application_name). */
  applicationName?: string;
  /**
   * Told about a connection lost outside any query (idle in the pool, or checked out between
   * queries). Queries running on it fail with the error themselves; this is for logs.
   */
  onConnectionError?: (error: Error) => void;
}

/** One pool, used by Prisma (through its pg adapter) and by raw SQL, so both see the same limits. */
export interface Db {
  readonly prisma: PrismaClient;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export function createDb(config: DbConfig): Db {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax ?? 10,
    application_name: config.applicationName ?? 'aihub',
    // Fail fast when the server is gone instead of queueing requests forever.
    connectionTimeoutMillis: 5_000,
    // JIT compilation is tuned for long analytical scans; on these index-driven queries (feature
    // retrieval over a spine, refresh) its estimates trigger compiles that cost more than the query.
    options: '-c jit=off',
  });
  // A client that loses its connection emits 'error'; with no listener Node ends the process. The
  // pool listens on idle clients only, and not on checked-out ones (a transaction, a COPY, a
  // cursor, Prisma's interactive transactions), so every client gets a listener of its own when
  // it is created. Whatever query was running on it fails with the error and is answered 503.
  const onError = (error: Error) => config.onConnectionError?.(error);
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    prisma,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
