import { type FeatureColumns, type FeatureRow, unpackFeatureColumns } from '@aihub/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rangeSlices, refreshAggregates, streamRangeFeatures } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';
import { insertProject } from './support/sql-fixtures.js';

/*
 * The export's range reader: slices read side by side on several connections, yielded in slice
 * order, every (entity, hour) exactly once, all from one snapshot. Fixtures are plain SQL: one
 * reading per entity and hour, 10 minutes into the hour, of value 100 x entity + hour, so the
 * lag_1h of entity k as of hour h is 100 k + h - 1 by hand.
 */

const HOUR = 3_600_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const ENTITIES = ['e0', 'e1', 'e2', 'e3', 'e4'];
const HOURS = 24;

let db: TestDatabase;
let pool: pg.Pool;
let projectId: string;

async function writeReadings(entity: number, offset: number) {
  const ts = Array.from({ length: HOURS }, (_, h) => new Date(START + h * HOUR + 10 * 60_000));
  await pool.query(
    `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
     SELECT $1::uuid, $2, 'load', t, v FROM unnest($3::timestamptz[], $4::float8[]) AS r(t, v)
     ON CONFLICT (project_id, entity_id, metric, ts) DO UPDATE SET value = EXCLUDED.value`,
    [projectId, ENTITIES[entity], ts, ts.map((_, h) => 100 * entity + h + offset)],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTestPool({ connectionString: db.url, max: 6 });
  projectId = await insertProject(pool, 'range-stream');
  for (let e = 0; e < ENTITIES.length; e++) {
    await pool.query('INSERT INTO entities (project_id, entity_id, timezone) VALUES ($1, $2, $3)', [
      projectId,
      ENTITIES[e],
      'UTC',
    ]);
    await writeReadings(e, 0);
  }
  await refreshAggregates(pool, { projectId });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

// as_of hours 1..24: every hour's lag_1h is a reading of the data.
const request = {
  projectId: '',
  metric: 'load',
  features: ['lag_1h'],
  entityIds: ENTITIES,
  start: new Date(START + HOUR),
  end: new Date(START + (HOURS + 1) * HOUR),
};

const expected = (entity: number, hour: number) => 100 * entity + hour - 1;

// Column-wise batches read back as rows (one feature).
const rowsOf = (columns: FeatureColumns) => unpackFeatureColumns(columns, 1);

function key(row: FeatureRow) {
  return `${row.entityId}@${(row.asOf.getTime() - START) / HOUR}`;
}

describe('range reader (exports)', () => {
  it('cuts a range into slices of whole entities, or of one entity’s hours when it alone is larger', () => {
    const hours = (n: number) => Array.from({ length: n }, (_, h) => new Date(START + h * HOUR));
    const shape = (slices: Iterable<{ entityIds: readonly string[]; hours: readonly Date[] }>) =>
      [...slices].map((s) => `${s.entityIds.join('+')}:${s.hours.length}`);
    expect(shape(rangeSlices(ENTITIES, hours(3), 7))).toEqual(['e0+e1:3', 'e2+e3:3', 'e4:3']);
    expect(shape(rangeSlices(['a', 'b'], hours(5), 2))).toEqual(['a:2', 'a:2', 'a:1', 'b:2', 'b:2', 'b:1']);
    expect(shape(rangeSlices(['a', 'b'], hours(5), 5))).toEqual(['a:5', 'b:5']);
    expect(shape(rangeSlices(['a'], hours(0), 5))).toEqual([]);
    const runs = [...rangeSlices(['a'], hours(5), 2)].map((s) =>
      s.hours.map((d) => (d.getTime() - START) / HOUR),
    );
    expect(runs).toEqual([[0, 1], [2, 3], [4]]);
  });

  for (const [sliceRows, parallel] of [
    [7, 2],
    [50, 3],
    [10_000, 2],
  ] as const) {
    it(`reads every (entity, hour) once, slices in order (${sliceRows} rows a slice, ${parallel} at once)`, async () => {
      const batches: FeatureRow[][] = [];
      for await (const batch of streamRangeFeatures(
        pool,
        { ...request, projectId },
        { sliceRows, parallel },
      )) {
        expect(batch.entityIds.length).toBeLessThanOrEqual(sliceRows);
        batches.push(rowsOf(batch));
      }
      const rows = batches.flat();
      expect(rows).toHaveLength(ENTITIES.length * HOURS);
      expect(new Set(rows.map(key)).size).toBe(rows.length);
      // Entity by entity, in the request's order.
      const order = rows.map((r) => r.entityId).filter((id, i, all) => id !== all[i - 1]);
      expect(order).toEqual(ENTITIES);
      for (const row of rows) {
        const entity = ENTITIES.indexOf(row.entityId);
        const hour = (row.asOf.getTime() - START) / HOUR;
        expect(row.values).toEqual([expected(entity, hour)]);
      }
      expect(pool.totalCount - pool.idleCount).toBe(0);
    });
  }

  it('reads from one snapshot: a refresh committed mid-read is not in the later slices', async () => {
    const rows: FeatureRow[] = [];
    let changed = false;
    try {
      for await (const batch of streamRangeFeatures(
        pool,
        { ...request, projectId },
        { sliceRows: 7, parallel: 2 },
      )) {
        rows.push(...rowsOf(batch));
        if (!changed) {
          // e4 is read by slices issued after this point, on both connections.
          await writeReadings(4, 1000);
          await refreshAggregates(pool, { projectId });
          changed = true;
        }
      }
      expect(rows).toHaveLength(ENTITIES.length * HOURS);
      for (const row of rows.filter((r) => r.entityId === 'e4')) {
        expect(row.values).toEqual([expected(4, (row.asOf.getTime() - START) / HOUR)]);
      }
      // A read started now sees the change.
      const after: FeatureRow[] = [];
      for await (const batch of streamRangeFeatures(pool, { ...request, projectId, entityIds: ['e4'] }))
        after.push(...rowsOf(batch));
      expect(after.map((r) => r.values[0])).toEqual(
        Array.from({ length: HOURS }, (_, h) => expected(4, h + 1) + 1000),
      );
    } finally {
      await writeReadings(4, 0);
      await refreshAggregates(pool, { projectId });
    }
  });

  it('reads on the connections it can have: one, when the pool has no room for a second', async () => {
    const small = createTestPool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 2_000 });
    try {
      const rows: FeatureRow[] = [];
      for await (const batch of streamRangeFeatures(
        small,
        { ...request, projectId },
        { sliceRows: 7, parallel: 3 },
      )) {
        expect(small.totalCount).toBe(1);
        rows.push(...rowsOf(batch));
      }
      expect(rows).toHaveLength(ENTITIES.length * HOURS);
      expect(new Set(rows.map(key)).size).toBe(rows.length);
      expect(small.idleCount).toBe(1);
    } finally {
      await small.end();
    }
  });

  it('reads on the first connection when a second fails to open after the first was given back', async () => {
    // The second connection's attempt fails only after the first slice was read and its
    // connection given back (idle): the next slice must take that one, not wait for a give-back
    // that never comes (an export that lost a connection this way once stayed running forever).
    const flaky = createTestPool({ connectionString: db.url, max: 6 });
    const connect = flaky.connect.bind(flaky) as () => Promise<pg.PoolClient>;
    let attempts = 0;
    Object.assign(flaky, {
      connect: async () => {
        attempts += 1;
        if (attempts === 2) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          throw new Error('connection refused (test)');
        }
        return connect();
      },
    });
    try {
      const read = (async () => {
        const rows: FeatureRow[] = [];
        for await (const batch of streamRangeFeatures(
          flaky,
          { ...request, projectId },
          { sliceRows: HOURS, parallel: 2 },
        )) {
          rows.push(...rowsOf(batch));
        }
        return rows;
      })();
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the read never ended')), 10_000),
      );
      const rows = await Promise.race([read, timeout]);
      expect(attempts).toBe(2);
      expect(rows).toHaveLength(ENTITIES.length * HOURS);
      expect(new Set(rows.map(key)).size).toBe(rows.length);
    } finally {
      await flaky.end();
    }
  });

  it('gives its connections back when the reader stops early', async () => {
    for await (const batch of streamRangeFeatures(
      pool,
      { ...request, projectId },
      { sliceRows: 7, parallel: 3 },
    )) {
      expect(batch.entityIds.length).toBeGreaterThan(0);
      break;
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // The pool still serves (no connection left mid-transaction).
    const check = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM entities');
    expect(check.rows[0]?.n).toBe(ENTITIES.length);
  });
});
