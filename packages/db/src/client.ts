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
  // An idle client that loses its connection emits 'error' on the pool; without a listener Node exits.
  pool.on('error', () => {});
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
