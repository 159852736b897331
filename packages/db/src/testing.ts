import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, readMigrations } from './migrate.js';

/*
 * Test fixtures: every test file gets its own database, cloned from a migrated template, so files
 * run in parallel against the real PostgreSQL without sharing state. Cloning costs ~100 ms, where
 * migrating from scratch costs seconds.
 */

const TEMPLATE_LOCK_KEY = 72_410_002;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function handle(url: string, name: string): TestDatabase {
  return {
    name,
    url: withDatabase(url, name),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // PostgreSQL 15 refuses FORCE (42501, "must be a member of the role whose process is being
        // terminated") while an autovacuum worker is in the database: it runs as no role we are a
        // member of. The worker ends within moments, so a few short retries suffice.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at the test PostgreSQL (run scripts/services.sh up)');
  return url;
}

/** The template's name carries a hash of the migrations, so changing one builds a fresh template. */
async function ensureTemplate(admin: pg.Client, url: string): Promise<string> {
  const migrations = await readMigrations();
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(m.name).update(m.checksum);
  const name = `aihub_tpl_${hash.digest('hex').slice(0, 16)}`;
  await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}"`);
      await admin.query(`CREATE DATABASE "${building}"`);
      await migrate({ url: withDatabase(url, building) });
      // Renamed only once complete, so a crash mid-build never leaves a half-migrated template.
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
  }
  return name;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const url = adminUrl();
  const admin = new pg.Client({ connectionString: url, application_name: 'aihub-test-admin' });
  await admin.connect();
  try {
    const template = await ensureTemplate(admin, url);
    const name = `aihub_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    return handle(url, name);
  } finally {
    await admin.end();
  }
}

/** A fresh, empty database (not migrated), for tests of the migrator itself. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const url = adminUrl();
  const name = `aihub_empty_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return handle(url, name);
}

/**
 * A pg pool for tests. Dropping a test database (FORCE) terminates the pool's idle connections,
 * which a pool reports as an 'error' event; without a listener that is an unhandled error that
 * fails the whole run. Errors of queries still reject their own promises.
 */
export function createTestPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  return pool;
}
