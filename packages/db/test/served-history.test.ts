import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropExpiredFeatureHistory, PgServedFeatureHistory } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';
import { insertProject } from './support/sql-fixtures.js';

/*
 * ai_features at the database level: day partitions created safely by concurrent writers, one
 * run's COPY merged idempotently (also when two copies of a run race), values kept exactly.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let testDb: TestDatabase;
let pool: pg.Pool;
let projectId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  pool = createTestPool({ connectionString: testDb.url, max: 8 });
  projectId = await insertProject(pool, 'history-db');
});
afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

const partitions = async () =>
  (
    await pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'ai_features'::regclass ORDER BY 1`,
    )
  ).rows.map((r) => r.name);

describe('ai_features', () => {
  it('creates each day partition once when many sessions ask for it at the same time', async () => {
    const from = new Date('2026-03-28T05:00:00Z');
    const to = new Date('2026-03-31T00:00:00Z'); // three UTC days: 03-28, 03-29 (DST in Europe), 03-30
    const created = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const client = await pool.connect();
        try {
          // A session time zone with a DST change inside the range must not shift the bounds.
          await client.query("SET TIME ZONE 'Europe/Berlin'");
          const r = await client.query<{ n: number }>(
            'SELECT aihub_ensure_ai_features_partitions($1, $2) AS n',
            [from, to],
          );
          return r.rows[0]?.n ?? 0;
        } finally {
          await client.query('RESET TIME ZONE');
          client.release();
        }
      }),
    );
    expect(created.reduce((s, n) => s + n, 0)).toBe(3);
    expect(await partitions()).toEqual([
      'ai_features_p20260328',
      'ai_features_p20260329',
      'ai_features_p20260330',
    ]);
    // Bounds are whole UTC days: the last hour of 03-29 goes to its partition, midnight to the next.
    const placed = await pool.query<{ part: string }>(
      `INSERT INTO ai_features VALUES
         ($1, 'probe', 1, 'kwh', 'x', '2026-03-29T23:00:00Z', '{1}', now()),
         ($1, 'probe', 1, 'kwh', 'x', '2026-03-30T00:00:00Z', '{1}', now())
       RETURNING tableoid::regclass::text AS part`,
      [projectId],
    );
    expect(placed.rows.map((r) => r.part)).toEqual(['ai_features_p20260329', 'ai_features_p20260330']);
    await pool.query(`DELETE FROM ai_features WHERE feature_set = 'probe'`);
  });

  it('merges a run idempotently, also when the same run is written twice at once; values exact', async () => {
    const history = new PgServedFeatureHistory(pool);
    const key = { projectId, featureSet: 'forecast_basic', version: 1, metric: 'kwh' };
    const asOf = new Date('2026-03-29T23:00:00Z');
    const tricky = [0.1 + 0.2, 1e-300, -123456.789012345, 5e-324, 1.7976931348623157e308, 0];
    const vectors = Array.from({ length: 300 }, (_, i) => ({
      entityId: `e\t${i}\\x`, // COPY's special characters in an id
      asOf,
      values: i === 0 ? tricky : [i / 7, null, i],
    }));
    const at = new Date('2026-03-30T00:00:01Z');
    const [first, second] = await Promise.all([
      history.append(key, vectors, at),
      history.append(key, vectors, at),
    ]);
    // One of the two inserted every row; the other found them all equal and changed nothing.
    expect([first, second].sort((x, y) => x - y)).toEqual([0, 300]);
    expect(await history.append(key, vectors, new Date(at.getTime() + HOUR))).toBe(0);
    const back = await history.list(key, 'e\t0\\x', asOf, new Date(asOf.getTime() + HOUR));
    expect(back).toEqual([{ asOf, values: tricky, materializedAt: at }]);
    const other = await history.list(
      key,
      'e\t7\\x',
      new Date(asOf.getTime() - DAY),
      new Date(asOf.getTime() + DAY),
    );
    expect(other.map((r) => r.values)).toEqual([[1, null, 7]]);

    // A changed vector replaces the values and the time; unchanged ones stay as they were.
    const changed = vectors.map((v, i) => (i === 7 ? { ...v, values: [8, 8, 8] } : v));
    const later = new Date(at.getTime() + 2 * HOUR);
    expect(await history.append(key, changed, later)).toBe(1);
    expect(await history.list(key, 'e\t7\\x', asOf, new Date(asOf.getTime() + HOUR))).toEqual([
      { asOf, values: [8, 8, 8], materializedAt: later },
    ]);
    const count = await pool.query('SELECT count(*)::int AS n FROM ai_features WHERE project_id = $1', [
      projectId,
    ]);
    expect(count.rows[0]?.n).toBe(300);
  });

  it('refuses an as-of that is not a whole hour', async () => {
    await expect(
      pool.query(
        `INSERT INTO ai_features VALUES ($1, 'forecast_basic', 1, 'kwh', 'x', '2026-03-29T10:30:00Z', '{1}', now())`,
        [projectId],
      ),
    ).rejects.toThrow(/ai_features_as_of_hour/);
  });

  it('finishes a detach that a crash or cancel interrupted, and concurrent retention runs drop each partition once', async () => {
    await pool.query('SELECT aihub_ensure_ai_features_partitions($1, $2)', [
      new Date('2025-01-01T00:00:00Z'),
      new Date('2025-01-03T00:00:00Z'),
    ]);
    // A reader holds ai_features, so DETACH ... CONCURRENTLY waits in its second phase; cancelling
    // it there leaves the partition "detach pending", as a crash would.
    const reader = await pool.connect();
    const detacher = await pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM ai_features');
      const pid = (await detacher.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const detach = detacher
        .query('ALTER TABLE ai_features DETACH PARTITION ai_features_p20250101 CONCURRENTLY')
        .then(
          () => 'finished',
          (error: Error) => error.message,
        );
      for (let i = 0; i < 100; i++) {
        const waiting = await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
          [pid],
        );
        if (waiting.rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await pool.query('SELECT pg_cancel_backend($1)', [pid]);
      expect(await detach).toMatch(/cancel/);
      await reader.query('COMMIT');
    } finally {
      reader.release();
      detacher.release();
    }
    const pending = await pool.query<{ pending: boolean }>(
      `SELECT i.inhdetachpending AS pending FROM pg_inherits i
        WHERE i.inhrelid = 'ai_features_p20250101'::regclass`,
    );
    expect(pending.rows).toEqual([{ pending: true }]);

    // Two retention runs at once (two processes): each partition is dropped by exactly one.
    const cutoff = new Date('2025-06-01T00:00:00Z');
    const runs = await Promise.all([
      dropExpiredFeatureHistory(pool, cutoff, new Date('2026-03-28T00:00:00Z')),
      dropExpiredFeatureHistory(pool, cutoff, new Date('2026-03-28T00:00:00Z')),
    ]);
    expect(runs.flat().sort()).toEqual(['ai_features_p20250101', 'ai_features_p20250102']);
    const left = await pool.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relname IN ('ai_features_p20250101', 'ai_features_p20250102')`,
    );
    expect(left.rows).toEqual([]);
    // Newer days stay, with their rows.
    expect(await partitions()).toContain('ai_features_p20260329');
  });
});
