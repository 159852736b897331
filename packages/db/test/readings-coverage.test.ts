import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgFeatureStore, refreshAggregates } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';
import { mulberry32 } from './support/random.js';
import { insertProject } from './support/sql-fixtures.js';

/*
 * hoursWithReadings (the empty-rows warning of ranges) against a naive count: for every row
 * (entity, H) of the range, look for a raw reading in [H - L, H). Seeded random readings with
 * gaps of every length (inside a day, across midnight, longer than a week), for windows below,
 * at and above the 23-hour switch between the hourly and the daily path. Also known metrics.
 */

const HOUR = 3_600_000;
const START = Date.parse('2026-04-01T00:00:00Z');

let testDb: TestDatabase;
let pool: pg.Pool;
let store: PgFeatureStore;
let projectId: string;
const readings = new Map<string, number[]>(); // entity -> reading timestamps (ms)

beforeAll(async () => {
  testDb = await createTestDatabase();
  pool = createTestPool({ connectionString: testDb.url, max: 2 });
  store = new PgFeatureStore(pool);
  projectId = await insertProject(pool, 'coverage');
  const rand = mulberry32(20_261_128);
  const rows: [string, number][] = [];
  for (const entity of ['dense', 'bursty', 'sparse', 'edges']) {
    const ts: number[] = [];
    let h = -200;
    while (h < 700) {
      // Runs of consecutive hours separated by gaps of 1 h to 300 h.
      const run = 1 + Math.floor(rand() * (entity === 'dense' ? 200 : 12));
      for (let k = 0; k < run && h < 700; k++, h++) ts.push(START + h * HOUR + Math.floor(rand() * HOUR));
      const gap = entity === 'sparse' ? 20 + Math.floor(rand() * 280) : Math.floor(rand() * 40);
      h += gap;
    }
    if (entity === 'edges') ts.push(START - 168 * HOUR, START + 23 * HOUR + HOUR - 1, START + 24 * HOUR);
    readings.set(entity, ts);
    for (const t of new Set(ts)) rows.push([entity, t]);
  }
  await pool.query(
    `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
     SELECT $1, e, 'kwh', to_timestamp(t / 1000.0), 1 FROM unnest($2::text[], $3::float8[]) AS r(e, t)
     ON CONFLICT DO NOTHING`,
    [projectId, rows.map((r) => r[0]), rows.map((r) => r[1])],
  );
  await refreshAggregates(pool, { projectId });
});
afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

/** Rows H of [first, last] (whole hours) with a reading in [H - L, H), counted one by one. */
function naive(entity: string, first: number, last: number, lookback: number): number {
  const ts = readings.get(entity) ?? [];
  let n = 0;
  for (let H = first; H <= last; H += HOUR) {
    if (ts.some((t) => t >= H - lookback * HOUR && t < H)) n++;
  }
  return n;
}

describe('hoursWithReadings', () => {
  const ranges: [start: number, end: number][] = [
    [START - 300 * HOUR, START + 800 * HOUR], // wider than the data on both sides
    [START + 17 * HOUR + 1, START + 170 * HOUR], // starts mid-hour (first whole hour 18:00)
    [START + 24 * HOUR, START + 25 * HOUR], // one row
  ];
  for (const lookback of [1, 2, 5, 22, 23, 24, 30, 168]) {
    it(`matches a naive count with a ${lookback}-hour window (${lookback >= 23 ? 'daily' : 'hourly'} path)`, async () => {
      for (const [start, end] of ranges) {
        const entityIds = [...readings.keys(), 'no-readings'];
        const got = await store.hoursWithReadings({
          projectId,
          metric: 'kwh',
          entityIds,
          start: new Date(start),
          end: new Date(end),
          lookbackHours: lookback,
        });
        const first = Math.ceil(start / HOUR) * HOUR;
        const last = Math.ceil(end / HOUR) * HOUR - HOUR;
        for (const entity of entityIds) {
          expect(got.get(entity) ?? 0, `${entity} L=${lookback} [${new Date(start).toISOString()}, …)`).toBe(
            naive(entity, first, last, lookback),
          );
        }
      }
    });
  }

  it('has a fixture where the window length matters (guards against a vacuous comparison)', () => {
    const [first, last] = [START - 300 * HOUR, START + 799 * HOUR];
    const rows = (last - first) / HOUR + 1;
    const counts = [1, 23, 168].map((l) => naive('sparse', first, last, l));
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[0]).toBeLessThan(counts[1] as number);
    expect(counts[1]).toBeLessThan(counts[2] as number);
    expect(counts[2]).toBeLessThan(rows);
  });

  it('is empty for another metric or project, and for a range without a whole hour', async () => {
    const base = { projectId, entityIds: ['dense'], lookbackHours: 24 };
    const wide = { start: new Date(START - 300 * HOUR), end: new Date(START + 800 * HOUR) };
    expect((await store.hoursWithReadings({ ...base, ...wide, metric: 'gas' })).size).toBe(0);
    const other = await insertProject(pool, 'coverage-other');
    expect((await store.hoursWithReadings({ ...base, ...wide, projectId: other, metric: 'kwh' })).size).toBe(
      0,
    );
    const none = { start: new Date(START + 1), end: new Date(START + HOUR) };
    expect((await store.hoursWithReadings({ ...base, ...none, metric: 'kwh' })).size).toBe(0);
  });
});

describe('known metrics', () => {
  it('lists refreshed metrics and those waiting for a refresh; retention does not forget them', async () => {
    expect(await store.knownMetrics(projectId)).toEqual(['kwh']);
    await pool.query(
      `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value) VALUES ($1, 'dense', 'gas', now(), 1)`,
      [projectId],
    );
    expect(await store.knownMetrics(projectId)).toEqual(['gas', 'kwh']); // pending
    expect(await store.hasMetric(projectId, 'gas')).toBe(true);
    expect(await store.hasMetric(projectId, 'water')).toBe(false);
    await refreshAggregates(pool, { projectId });
    await pool.query(`DELETE FROM timeseries_data WHERE project_id = $1 AND metric = 'gas'`, [projectId]);
    await refreshAggregates(pool, { projectId });
    expect(await store.knownMetrics(projectId)).toEqual(['gas', 'kwh']);
  });
});
