import { readFile } from 'node:fs/promises';
import { type FeatureRow, PREDEFINED_FEATURE_SETS } from '@aihub/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAggregates, retrieveOfflineFeatures } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';
import { toleranceFor, withinTolerance } from './support/reference-features.js';
import { insertProject } from './support/sql-fixtures.js';

/*
 * Known-answer tests of the offline feature engine (shared/docs/feature-spec.md). Every expected
 * value below is computed by hand, with the arithmetic in a comment. Fixture data goes in with
 * plain SQL, never through the code under test; then refreshAggregates, then
 * retrieveOfflineFeatures. All timestamps are fixed instants of 2026 in UTC.
 *
 * Each scenario has its own project (or its own entity), so scenarios do not share state and
 * refresh counts are exact per project.
 */

let testDb: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  testDb = await createTestDatabase();
  pool = createTestPool({ connectionString: testDb.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

// ---------------------------------------------------------------------------------------------
// Fixture helpers: plain SQL only.

const createProject = (name: string) => insertProject(pool, name);

async function createEntity(
  projectId: string,
  entityId: string,
  locationId: string | null,
  timezone: string,
): Promise<void> {
  await pool.query(
    'INSERT INTO entities (project_id, entity_id, location_id, timezone) VALUES ($1, $2, $3, $4)',
    [projectId, entityId, locationId, timezone],
  );
}

type Reading = [entityId: string, metric: string, ts: string, value: number];

/** One statement; an existing key gets the new value (last write wins), as ingest does. */
async function upsertReadings(projectId: string, rows: readonly Reading[]): Promise<void> {
  await pool.query(
    `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
     SELECT $1::uuid, e, m, t, v FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::float8[]) AS r(e, m, t, v)
     ON CONFLICT (project_id, entity_id, metric, ts) DO UPDATE SET value = EXCLUDED.value`,
    [projectId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
}

type WeatherValues = [
  temperature_c: number | null,
  humidity_pct: number | null,
  wind_speed_ms: number | null,
  solar_radiation_wm2: number | null,
  precipitation_mm: number | null,
];

async function insertWeather(
  projectId: string,
  locationId: string,
  ts: string,
  issuedAt: string,
  v: WeatherValues,
): Promise<void> {
  await pool.query(
    `INSERT INTO weather_features (project_id, location_id, ts, issued_at, temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [projectId, locationId, ts, issuedAt, ...v],
  );
}

const refresh = (projectId: string) => refreshAggregates(pool, { projectId });

async function rows(
  projectId: string,
  features: readonly string[],
  spine: readonly [entityId: string, asOf: string][],
  options: { metric?: string; includeLabel?: boolean } = {},
): Promise<FeatureRow[]> {
  return retrieveOfflineFeatures(pool, {
    projectId,
    metric: options.metric ?? 'load',
    features,
    spine: spine.map(([entityId, asOf]) => ({ entityId, asOf: new Date(asOf) })),
    ...(options.includeLabel === undefined ? {} : { includeLabel: options.includeLabel }),
  });
}

async function vector(
  projectId: string,
  entityId: string,
  asOf: string,
  features: readonly string[],
  metric = 'load',
) {
  const result = await rows(projectId, features, [[entityId, asOf]], { metric });
  expect(result).toHaveLength(1);
  return (result[0] as FeatureRow).values;
}

type Expected = Record<string, number | null>;

/** Nulls must match exactly; numbers within the spec's tolerance (see withinTolerance). */
function expectValues(
  features: readonly string[],
  actual: readonly (number | null)[],
  expected: readonly (number | null)[],
  context = '',
) {
  expect(actual, `${context} values.length`).toHaveLength(features.length);
  const wrong: string[] = [];
  for (const [i, f] of features.entries()) {
    const a = actual[i];
    const e = expected[i];
    if (e === null || e === undefined || a === null || a === undefined) {
      if (a !== e) wrong.push(`${f}: expected ${String(e)}, actual ${String(a)}`);
    } else if (!withinTolerance(e, a, toleranceFor(f))) {
      wrong.push(`${f}: expected ${e}, actual ${a}`);
    }
  }
  expect(wrong, `${context} mismatching features`).toEqual([]);
}

/** Requests exactly the features named in `expected` (in that order) and checks them. */
async function expectVector(
  projectId: string,
  entityId: string,
  asOf: string,
  expected: Expected,
  options: { metric?: string; context?: string } = {},
) {
  const features = Object.keys(expected);
  const actual = await vector(projectId, entityId, asOf, features, options.metric);
  expectValues(features, actual, Object.values(expected), options.context ?? `${entityId} @ ${asOf}`);
}

// ---------------------------------------------------------------------------------------------
// The main fixture: entity with irregular readings, gaps and values just outside window edges.
//
// H = 2026-01-15T10:00:00Z (a Thursday). Readings of metric 'load':
//   r1  2026-01-08 09:59:59.999  100   bucket [01-08 09,10): lag_169h; just before the 168h window
//   r2  2026-01-08 11:00:00.000  200   just after the lag_168h bucket [01-08 10,11), inside 168h
//   r3  2026-01-14 09:59:59.999   50   lag_25h bucket; inside 168h, just before the 24h window
//   r4  2026-01-14 10:20:00.000    3   lag_24h bucket [01-14 10,11)
//   r5  2026-01-15 06:05:00.000    4   [06,07)
//   r6  2026-01-15 06:55:00.500    8   [06,07)
//       (no reading in [07,08): a gap)
//   r7  2026-01-15 08:30:00.001    2   [08,09)
//   r8  2026-01-15 09:00:00.000    3   [09,10)
//   r9  2026-01-15 09:17:43.219    5   [09,10)
//   r10 2026-01-15 09:59:59.999   10   [09,10)

const BASE: readonly [string, number][] = [
  ['2026-01-08T09:59:59.999Z', 100],
  ['2026-01-08T11:00:00.000Z', 200],
  ['2026-01-14T09:59:59.999Z', 50],
  ['2026-01-14T10:20:00.000Z', 3],
  ['2026-01-15T06:05:00.000Z', 4],
  ['2026-01-15T06:55:00.500Z', 8],
  ['2026-01-15T08:30:00.001Z', 2],
  ['2026-01-15T09:00:00.000Z', 3],
  ['2026-01-15T09:17:43.219Z', 5],
  ['2026-01-15T09:59:59.999Z', 10],
];

/** Inserted newest first and in two statements: arrival order must not matter. */
async function seedBase(projectId: string, entityId: string): Promise<void> {
  const readings = BASE.map(([ts, v]): Reading => [entityId, 'load', ts, v]).reverse();
  await upsertReadings(projectId, readings.slice(0, 4));
  await upsertReadings(projectId, readings.slice(4));
}

/** Every feature of the main fixture at H = 2026-01-15T10:00Z, computed by hand. */
const MAIN: Expected = {
  lag_1h: 6, // [09,10) = 3, 5, 10 -> 18 / 3 = 6
  lag_2h: 2, // [08,09) = 2
  lag_3h: null, // [07,08) empty
  lag_4h: 6, // [06,07) = 4, 8 -> 12 / 2 = 6
  lag_24h: 3, // [01-14 10,11) = 3
  lag_25h: 50, // [01-14 09,10) = 50 (09:59:59.999 is in the 09 bucket)
  lag_168h: null, // [01-08 10,11) empty (100 is at 09:59:59.999, 200 at 11:00:00.000)
  lag_169h: 100, // [01-08 09,10) = 100
  last_hour_min: 3, // min(3, 5, 10)
  last_hour_max: 10,
  last_hour_count: 3,
  delta_1h: 4, // 6 - mean[08,09) = 6 - 2
  rolling_24h_mean: 5, // [01-14 10, 01-15 10) = 3,4,8,2,3,5,10 -> 35 / 7 = 5
  rolling_24h_std: Math.sqrt(52 / 6), // deviations -2,-1,3,-3,-2,0,5 -> 4+1+9+9+4+0+25 = 52; / (7-1) -> 2.9439...
  rolling_24h_min: 2,
  rolling_24h_max: 10,
  rolling_24h_count: 7,
  rolling_168h_mean: 95 / 3, // [01-08 10, 01-15 10) = 200, 50 and the 7 above -> 285 / 9 = 31.666...
  // sum of squares 40000 + 2500 + (9+16+64+4+9+25+100 = 227) = 42727; m2 = 42727 - 285^2/9 = 42727 - 9025 = 33702
  rolling_168h_std: Math.sqrt(33702 / 8), // 64.9057...
  rolling_168h_min: 2,
  rolling_168h_max: 200, // 100 at 01-08 09:59:59.999 is outside
  rolling_168h_count: 9,
  zscore_24h: 1 / Math.sqrt(52 / 6), // (6 - 5) / sqrt(52/6) = 0.33968...
  rolling_5h_max: 10, // [05,10) = 4,8,2,3,5,10
  rolling_3h_count: 4, // [07,10) = 2,3,5,10
  rolling_2h_std: Math.sqrt(38 / 3), // [08,10) = 2,3,5,10: mean 5, 9+4+0+25 = 38; / 3
  rolling_1h_count: 3,
  hour_of_day: 10, // 10:00 UTC
  day_of_week: 4, // 2026-01-01 is a Thursday, so 01-15 is too
  is_weekend: 0,
  month: 1,
};

describe('offline features: known answers', () => {
  let main: string;
  let other: string;

  beforeAll(async () => {
    main = await createProject('ka-main');
    other = await createProject('ka-other');
    for (const entity of ['meter-1', 'meter-leak', 'sparse', 'flat']) {
      await createEntity(main, entity, null, 'UTC');
    }
    await seedBase(main, 'meter-1');
    await seedBase(main, 'meter-leak');

    // Metric filter: another metric of the same entity, in the very buckets the features read
    // (including the empty [07,08) and the lag_168h bucket). Must never contribute to 'load'.
    await upsertReadings(main, [
      ['meter-1', 'temp', '2026-01-15T09:30:00.000Z', 9999],
      ['meter-1', 'temp', '2026-01-15T07:30:00.000Z', 9999],
      ['meter-1', 'temp', '2026-01-08T10:30:00.000Z', 9999],
      ['meter-1', 'temp', '2026-01-15T10:00:00.000Z', 9999],
    ]);
    // Project isolation: the same entity id in another project, other timezone, same buckets.
    await createEntity(other, 'meter-1', 'loc-1', 'Asia/Tokyo');
    await upsertReadings(other, [
      ['meter-1', 'load', '2026-01-15T09:30:00.000Z', -777],
      ['meter-1', 'load', '2026-01-15T07:30:00.000Z', -777],
      ['meter-1', 'load', '2026-01-08T10:30:00.000Z', -777],
      ['meter-1', 'load', '2026-01-15T10:30:00.000Z', -777],
    ]);

    // sparse: a single reading. flat: four equal readings over two hours.
    await upsertReadings(main, [['sparse', 'load', '2026-01-15T09:30:00.000Z', 42]]);
    await upsertReadings(main, [
      ['flat', 'load', '2026-01-15T08:10:00.000Z', 5],
      ['flat', 'load', '2026-01-15T08:40:00.000Z', 5],
      ['flat', 'load', '2026-01-15T09:10:00.000Z', 5],
      ['flat', 'load', '2026-01-15T09:40:00.000Z', 5],
    ]);
    await refresh(main);
    await refresh(other);
  });

  it('computes every feature by hand at H = 2026-01-15T10:00Z (other metric and project never contribute)', async () => {
    await expectVector(main, 'meter-1', '2026-01-15T10:00:00.000Z', MAIN);
  });

  it('gives the identical vector for t on the hour, inside the hour and 1 ms before the next hour', async () => {
    const ts = ['2026-01-15T10:00:00.000Z', '2026-01-15T10:00:00.001Z', '2026-01-15T10:27:13.456Z'];
    for (const t of [...ts, '2026-01-15T10:59:59.999Z']) await expectVector(main, 'meter-1', t, MAIN);
    // At 11:00:00.000 the hour [10,11) becomes the last hour: empty for meter-1 'load' (the
    // 'temp' reading at 10:00 and the other project's 10:30 don't count).
    await expectVector(main, 'meter-1', '2026-01-15T11:00:00.000Z', {
      lag_1h: null,
      lag_2h: 6, // [09,10)
      last_hour_count: 0,
      delta_1h: null, // lag_1h is null
      zscore_24h: null, // lag_1h is null
    });
  });

  it('never leaks a reading at or after H, not even one exactly at H or at t itself', async () => {
    const t = '2026-01-15T10:27:13.456Z';
    await expectVector(main, 'meter-leak', t, MAIN, { context: 'before' });
    await upsertReadings(main, [
      ['meter-leak', 'load', '2026-01-15T10:00:00.000Z', 1000], // exactly H
      ['meter-leak', 'load', '2026-01-15T10:27:13.456Z', 2000], // exactly t
      ['meter-leak', 'load', '2026-01-15T10:59:59.999Z', 3000], // last ms of the hour
      ['meter-leak', 'load', '2026-01-15T11:00:00.000Z', 4000], // next hour
      ['meter-leak', 'load', '2026-01-16T09:00:00.000Z', 5000], // next day
    ]);
    await refresh(main);
    for (const at of ['2026-01-15T10:00:00.000Z', t, '2026-01-15T10:59:59.999Z']) {
      await expectVector(main, 'meter-leak', at, MAIN, { context: `after, t = ${at}` });
    }
    // The new readings are there (so the check above is not vacuous).
    await expectVector(main, 'meter-leak', '2026-01-15T11:00:00.000Z', {
      lag_1h: 2000, // [10,11) = 1000, 2000, 3000 -> 6000 / 3
      last_hour_count: 3,
      last_hour_max: 3000,
      delta_1h: 1994, // 2000 - mean[09,10) = 2000 - 6
    });
  });

  it('gives label_next_1h = mean of [H, H+1h), only when asked for', async () => {
    const spine: [string, string][] = [
      ['meter-leak', '2026-01-15T10:59:59.999Z'], // [10,11) = 1000, 2000, 3000 -> 2000
      ['meter-leak', '2026-01-15T11:00:00.000Z'], // [11,12) = 4000
      ['meter-1', '2026-01-15T10:00:00.000Z'], // [10,11) empty for 'load' ('temp' 9999 doesn't count)
      ['meter-1', '2026-01-15T09:00:00.000Z'], // [09,10) = 3, 5, 10 -> 6
    ];
    const labelled = await rows(main, ['lag_1h'], spine, { includeLabel: true });
    expect(labelled.map((r) => r.label)).toEqual([2000, 4000, null, 6]);
    // lag_1h of the same rows: 6 (the leak readings are at >= H), 2000, 6, 2 ([08,09) = 2)
    expect(labelled.map((r) => r.values)).toEqual([[6], [2000], [6], [2]]);
    const unlabelled = await rows(main, ['lag_1h'], spine, { includeLabel: false });
    expect(unlabelled.map((r) => r.label)).toEqual([undefined, undefined, undefined, undefined]);
    const defaulted = await rows(main, ['lag_1h'], spine);
    expect(defaulted.map((r) => r.label)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('returns rows in spine order, duplicates included, with as_of as given', async () => {
    const spine: [string, string][] = [
      ['meter-1', '2026-01-15T10:59:59.999Z'], // [09,10) = 3, 5, 10 -> 6, count 3
      ['sparse', '2026-01-15T12:00:00.000Z'], // [11,12) empty -> null, 0
      ['meter-1', '2026-01-15T08:00:00.000Z'], // [07,08) empty -> null, 0
      ['meter-1', '2026-01-15T10:59:59.999Z'], // duplicate of the first
      ['sparse', '2026-01-15T10:00:00.000Z'], // [09,10) = 42 -> 42, 1
    ];
    const result = await rows(main, ['lag_1h', 'last_hour_count'], spine);
    expect(result.map((r) => [r.entityId, r.asOf.toISOString()])).toEqual(spine);
    expect(result.map((r) => r.values)).toEqual([
      [6, 3],
      [null, 0],
      [null, 0],
      [6, 3],
      [42, 1],
    ]);
    expect(await rows(main, ['lag_1h'], [])).toEqual([]);
  });

  it('returns a spine of 20,000+ rows (sorted by entity and split between two connections) in spine order', async () => {
    // Three entities with one reading per hour for 48 hours, value = 1000 * entity + hour, so
    // lag_1h as of hour h (h = 1..48) is 1000 * entity + h - 1; hour 0 and hour 49 have nothing
    // before them (null). The spine is 20,001 rows in a shuffled order, duplicates included.
    const project = await createProject('ka-large-spine');
    const start = Date.parse('2026-01-01T00:00:00Z');
    const readings: Reading[] = [];
    for (let e = 0; e < 3; e++) {
      for (let h = 0; h < 48; h++) {
        readings.push([
          `e${e}`,
          'load',
          new Date(start + h * 3_600_000 + 60_000).toISOString(),
          1000 * e + h,
        ]);
      }
    }
    await upsertReadings(project, readings);
    await refresh(project);
    const spine: [string, string][] = [];
    const expected: (number | null)[][] = [];
    let seed = 7;
    const next = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed;
    };
    for (let i = 0; i < 20_001; i++) {
      const e = next() % 3;
      const h = next() % 50; // 0..49
      spine.push([`e${e}`, new Date(start + h * 3_600_000 + (next() % 3_600_000)).toISOString()]);
      expected.push([h >= 1 && h <= 48 ? 1000 * e + h - 1 : null]);
    }
    const result = await rows(project, ['lag_1h'], spine);
    expect(result.map((r) => [r.entityId, r.asOf.toISOString()])).toEqual(spine);
    expect(result.map((r) => r.values)).toEqual(expected);
  });

  it('handles an empty last hour: null lag/min/max/delta/zscore, count 0, rolling over what remains', async () => {
    // H = 2026-01-15T08:00Z; [07,08) is empty.
    await expectVector(main, 'meter-1', '2026-01-15T08:00:00.000Z', {
      lag_1h: null,
      lag_2h: 6, // [06,07) = 4, 8
      last_hour_min: null,
      last_hour_max: null,
      last_hour_count: 0, // 0, not null
      delta_1h: null, // lag_1h is null
      rolling_24h_count: 4, // [01-14 08, 01-15 08) = 50 (at 01-14 09:59:59.999), 3, 4, 8
      rolling_24h_mean: 65 / 4, // (50+3+4+8) / 4 = 16.25
      // sum of squares 2500+9+16+64 = 2589; m2 = 2589 - 65^2/4 = 2589 - 1056.25 = 1532.75; / 3
      rolling_24h_std: Math.sqrt(1532.75 / 3),
      rolling_24h_min: 3,
      rolling_24h_max: 50,
      zscore_24h: null, // lag_1h is null although mean and std exist
    });
  });

  it('gives count 0 (not null) and nulls elsewhere when nothing at all contributes', async () => {
    // 2026-03-01: more than 168 h after the last 'load' reading of meter-1 (01-15 09:59:59.999).
    await expectVector(main, 'meter-1', '2026-03-01T00:00:00.000Z', {
      lag_1h: null,
      lag_24h: null,
      lag_168h: null,
      last_hour_min: null,
      last_hour_max: null,
      last_hour_count: 0,
      delta_1h: null,
      rolling_24h_mean: null,
      rolling_24h_std: null,
      rolling_24h_min: null,
      rolling_24h_max: null,
      rolling_24h_count: 0,
      rolling_168h_mean: null,
      rolling_168h_std: null,
      rolling_168h_count: 0,
      zscore_24h: null,
    });
  });

  it('a single reading: std null (count < 2), so zscore null; edges of the 24h and 168h windows', async () => {
    // sparse has one reading: 2026-01-15T09:30:00.000 = 42.
    // H = 10:00: last hour [09,10) = 42; [08,09) empty so delta null; the 24h window holds only 42.
    await expectVector(main, 'sparse', '2026-01-15T10:00:00.000Z', {
      lag_1h: 42,
      last_hour_min: 42,
      last_hour_max: 42,
      last_hour_count: 1,
      delta_1h: null,
      rolling_24h_mean: 42,
      rolling_24h_std: null, // count 1 < 2
      rolling_24h_min: 42,
      rolling_24h_max: 42,
      rolling_24h_count: 1,
      zscore_24h: null, // std is null
      rolling_168h_mean: 42,
      rolling_168h_std: null,
      rolling_168h_count: 1,
      lag_168h: null, // [01-08 10,11)
    });
    // H = 12:00: the last hour is empty; the 24h window still holds 42.
    await expectVector(main, 'sparse', '2026-01-15T12:30:00.000Z', {
      lag_1h: null,
      last_hour_min: null,
      last_hour_max: null,
      last_hour_count: 0,
      rolling_24h_mean: 42,
      rolling_24h_std: null,
      rolling_24h_count: 1,
      zscore_24h: null,
    });
    // H = 2026-01-16T09:00: the 24h window [01-15 09, 01-16 09) still holds 09:30.
    await expectVector(main, 'sparse', '2026-01-16T09:59:59.999Z', {
      rolling_24h_count: 1,
      rolling_24h_mean: 42,
    });
    // H = 2026-01-16T10:00: the 24h window [01-15 10, 01-16 10) does not; the 168h window does.
    await expectVector(main, 'sparse', '2026-01-16T10:00:00.000Z', {
      rolling_24h_mean: null,
      rolling_24h_std: null,
      rolling_24h_min: null,
      rolling_24h_max: null,
      rolling_24h_count: 0,
      rolling_168h_mean: 42,
      rolling_168h_std: null,
      rolling_168h_count: 1,
    });
    // H = 2026-01-22T09:00: the 168h window [01-15 09, 01-22 09) holds it; lag_168h = [01-15 09,10) = 42.
    await expectVector(main, 'sparse', '2026-01-22T09:45:00.000Z', { rolling_168h_count: 1, lag_168h: 42 });
    // H = 2026-01-22T10:00: out of the 168h window [01-15 10, 01-22 10).
    await expectVector(main, 'sparse', '2026-01-22T10:00:00.000Z', {
      rolling_168h_count: 0,
      rolling_168h_mean: null,
      lag_168h: null,
    });
  });

  it('std = 0 gives zscore null; delta of equal means is 0, not null', async () => {
    // flat: 5 at 08:10, 08:40, 09:10, 09:40. H = 10:00.
    await expectVector(main, 'flat', '2026-01-15T10:15:00.000Z', {
      lag_1h: 5,
      delta_1h: 0, // 5 - 5
      rolling_24h_mean: 5,
      rolling_24h_std: 0, // count 4, every deviation 0
      rolling_2h_std: 0,
      rolling_1h_std: 0, // [09,10): 5, 5
      last_hour_min: 5,
      last_hour_max: 5,
      zscore_24h: null, // std = 0
    });
  });

  it('reads only the requested metric and only the requested project (the noise is really there)', async () => {
    // meter-1 'temp': [09,10) = 9999; [07,08) = 9999; [01-08 10,11) = 9999.
    await expectVector(
      main,
      'meter-1',
      '2026-01-15T10:00:00.000Z',
      { lag_1h: 9999, lag_3h: 9999, lag_168h: 9999 },
      { metric: 'temp' },
    );
    // The other project's meter-1: [09,10), [07,08) and [01-08 10,11) each = -777; 10:30 is after H.
    await expectVector(other, 'meter-1', '2026-01-15T10:00:00.000Z', {
      lag_1h: -777,
      lag_3h: -777,
      lag_168h: -777,
      rolling_24h_count: 2, // 09:30 and 07:30
      hour_of_day: 19, // 10:00 UTC is 19:00 in Tokyo (UTC+9)
      day_of_week: 4, // Thursday
    });
  });

  it('serves the predefined sets in their column order, values by hand', async () => {
    const t = '2026-01-15T10:30:00.000Z';
    const advanced = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
    expectValues(advanced, await vector(main, 'meter-1', t, advanced), [
      ...([MAIN.lag_1h, MAIN.lag_24h, MAIN.lag_168h] as (number | null)[]), // 6, 3, null
      ...[10, 4, 0, 1], // hour_of_day, day_of_week, is_weekend, month
      ...[5, Math.sqrt(52 / 6), 2, 10], // rolling_24h mean, std, min, max
      ...[95 / 3, Math.sqrt(33702 / 8)], // rolling_168h mean, std
      ...[null, null, null, null, null], // weather: meter-1 has no location
    ]);
    const anomaly = PREDEFINED_FEATURE_SETS.anomaly_detection as readonly string[];
    expectValues(anomaly, await vector(main, 'meter-1', t, anomaly), [
      ...[6, 3, 10, 3, 4], // lag_1h, last_hour_min, last_hour_max, last_hour_count, delta_1h
      ...[5, Math.sqrt(52 / 6), 1 / Math.sqrt(52 / 6)], // rolling_24h_mean, rolling_24h_std, zscore_24h
      ...[95 / 3, Math.sqrt(33702 / 8)], // rolling_168h mean, std
    ]);
    const basic = PREDEFINED_FEATURE_SETS.forecast_basic as readonly string[];
    expectValues(basic, await vector(main, 'meter-1', t, basic), [6, 3, null, 10, 4, 0]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('incremental refresh: late, replaced, moved and deleted readings', () => {
  // H = 10:00; last hour [09,10); lag_3h [07,08); 24h window [01-19 10:00, 01-20 10:00)
  const T = '2026-01-20T10:30:00.000Z';
  const state = (
    lag_1h: number | null,
    lag_3h: number | null,
    last_hour_min: number | null,
    last_hour_max: number | null,
    last_hour_count: number,
    rolling_24h_mean: number | null,
    rolling_24h_count: number,
  ): Expected => ({
    lag_1h,
    lag_3h,
    last_hour_min,
    last_hour_max,
    last_hour_count,
    rolling_24h_mean,
    rolling_24h_count,
  });
  let p: string;

  beforeAll(async () => {
    p = await createProject('ka-late');
    await createEntity(p, 'late', null, 'Europe/Berlin');
  });

  it('reflects each change after the next refresh, recomputing only the touched buckets', async () => {
    await upsertReadings(p, [
      ['late', 'load', '2026-01-20T03:00:00.000Z', 7],
      ['late', 'load', '2026-01-20T09:10:00.000Z', 10],
      ['late', 'load', '2026-01-20T09:50:00.000Z', 20],
    ]);
    // Hours 03:00 and 09:00 of one UTC day.
    expect(await refresh(p)).toEqual({ hourlyBuckets: 2, dailyBuckets: 1 });
    expect(await refresh(p)).toEqual({ hourlyBuckets: 0, dailyBuckets: 0 });
    // [09,10) = 10, 20 -> 15; 24h: 7, 10, 20 -> 37 / 3
    await expectVector(p, 'late', T, state(15, null, 10, 20, 2, 37 / 3, 3), { context: 'initial' });

    // A late reading, older than those already there, into the already refreshed hour 09:00.
    await upsertReadings(p, [['late', 'load', '2026-01-20T09:05:00.123Z', 60]]);
    expect(await refresh(p)).toEqual({ hourlyBuckets: 1, dailyBuckets: 1 });
    // [09,10) = 60, 10, 20 -> 90 / 3 = 30; 24h: 7 + 90 = 97 over 4 = 24.25
    await expectVector(p, 'late', T, state(30, null, 10, 60, 3, 97 / 4, 4), { context: 'late' });

    // Replaced by upsert: 09:50 20 -> 50.
    await upsertReadings(p, [['late', 'load', '2026-01-20T09:50:00.000Z', 50]]);
    expect(await refresh(p)).toEqual({ hourlyBuckets: 1, dailyBuckets: 1 });
    // [09,10) = 60, 10, 50 -> 120 / 3 = 40; 24h: 7 + 120 = 127 / 4 = 31.75
    await expectVector(p, 'late', T, state(40, null, 10, 60, 3, 127 / 4, 4), { context: 'upsert' });

    // Replaced by a plain UPDATE: 09:10 10 -> 40.
    await pool.query(
      `UPDATE timeseries_data SET value = 40
       WHERE project_id = $1 AND entity_id = 'late' AND metric = 'load' AND ts = '2026-01-20T09:10:00.000Z'`,
      [p],
    );
    expect(await refresh(p)).toEqual({ hourlyBuckets: 1, dailyBuckets: 1 });
    // [09,10) = 60, 40, 50 -> 150 / 3 = 50; min 40; 24h: 7 + 150 = 157 / 4 = 39.25
    await expectVector(p, 'late', T, state(50, null, 40, 60, 3, 157 / 4, 4), { context: 'update' });

    // Two late readings in two hours of two UTC days, one statement.
    await upsertReadings(p, [
      ['late', 'load', '2026-01-19T23:59:59.999Z', 1],
      ['late', 'load', '2026-01-20T05:00:00.000Z', 3],
    ]);
    expect(await refresh(p)).toEqual({ hourlyBuckets: 2, dailyBuckets: 2 });
    // 24h: 1, 7, 3, 60, 40, 50 -> 161 / 6 = 26.8333...
    await expectVector(p, 'late', T, state(50, null, 40, 60, 3, 161 / 6, 6), { context: 'two days' });

    // A reading moved to another hour (ts updated): 09:05:00.123 (60) -> 07:30. Both hours change.
    await pool.query(
      `UPDATE timeseries_data SET ts = '2026-01-20T07:30:00.000Z'
       WHERE project_id = $1 AND entity_id = 'late' AND ts = '2026-01-20T09:05:00.123Z'`,
      [p],
    );
    expect(await refresh(p)).toEqual({ hourlyBuckets: 2, dailyBuckets: 1 });
    // [09,10) = 40, 50 -> 45; lag_3h [07,08) = 60; 24h unchanged: 161 / 6
    await expectVector(p, 'late', T, state(45, 60, 40, 50, 2, 161 / 6, 6), { context: 'moved' });

    // Deleted: the hour [09,10) becomes empty.
    await pool.query(
      `DELETE FROM timeseries_data
       WHERE project_id = $1 AND entity_id = 'late' AND ts >= '2026-01-20T09:00:00Z' AND ts < '2026-01-20T10:00:00Z'`,
      [p],
    );
    const afterDelete = await refresh(p);
    // The day still has readings, so its daily bucket is recomputed. Whether an hour that became
    // empty counts as "recomputed" is not pinned down by the interface: at most that one hour.
    expect(afterDelete.dailyBuckets).toBe(1);
    expect(afterDelete.hourlyBuckets).toBeLessThanOrEqual(1);
    // lag_1h null, min/max null, count 0; 24h: 1, 7, 3, 60 -> 71 / 4 = 17.75
    await expectVector(p, 'late', T, state(null, 60, null, null, 0, 71 / 4, 4), { context: 'deleted' });

    expect(await refresh(p)).toEqual({ hourlyBuckets: 0, dailyBuckets: 0 });
  });

  it('a change in another metric invalidates only that metric and leaves load features alone', async () => {
    await upsertReadings(p, [['late', 'power', '2026-01-20T09:30:00.000Z', 123]]);
    expect(await refresh(p)).toEqual({ hourlyBuckets: 1, dailyBuckets: 1 });
    await expectVector(p, 'late', T, state(null, 60, null, null, 0, 71 / 4, 4), { context: 'other metric' });
    await expectVector(p, 'late', T, { lag_1h: 123 }, { metric: 'power' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('calendar features in the entity timezone across DST', () => {
  const CAL = ['hour_of_day', 'day_of_week', 'is_weekend', 'month'];
  let p: string;

  beforeAll(async () => {
    p = await createProject('ka-calendar');
    await createEntity(p, 'berlin', null, 'Europe/Berlin');
    await createEntity(p, 'nyc', null, 'America/New_York');
    await createEntity(p, 'kolkata', null, 'Asia/Kolkata');
    await createEntity(p, 'utc', null, 'UTC');
  });

  // 2026-01-01 is a Thursday, so 2026-03-01 is a Sunday (Jan 31 + Feb 28 = 59 days = 8 weeks + 3 days).
  // Berlin: 2026-03-29 (last Sunday of March) 01:00 UTC, 02:00 CET (UTC+1) -> 03:00 CEST (UTC+2).
  //         2026-10-25 (last Sunday of October) 01:00 UTC, 03:00 CEST -> 02:00 CET.
  // New York: 2026-03-08 (second Sunday of March) 07:00 UTC, 02:00 EST (UTC-5) -> 03:00 EDT (UTC-4).
  // Kolkata: UTC+05:30, no DST.
  // Expected: [hour_of_day, day_of_week (1 = Monday), is_weekend, month], all of H in local time.
  type Case = [entity: string, asOf: string, expected: [number, number, number, number], why: string];
  const cases: Case[] = [
    ['berlin', '2026-03-28T22:59:59.999Z', [23, 6, 1, 3], 'H 22:00Z = 23:00 CET Sat 03-28'],
    ['berlin', '2026-03-28T23:00:00.000Z', [0, 7, 1, 3], 'H 23:00Z = 00:00 CET Sun 03-29 (Sat in UTC)'],
    ['berlin', '2026-03-29T00:30:00.000Z', [1, 7, 1, 3], 'H 00:00Z = 01:00 CET'],
    ['berlin', '2026-03-29T01:00:00.000Z', [3, 7, 1, 3], 'H 01:00Z = 03:00 CEST (02:00 does not exist)'],
    ['berlin', '2026-03-29T01:59:59.999Z', [3, 7, 1, 3], 'H 01:00Z = 03:00 CEST'],
    ['berlin', '2026-03-29T22:00:00.000Z', [0, 1, 0, 3], 'H 22:00Z = 00:00 CEST Mon 03-30'],
    ['berlin', '2026-03-31T21:59:59.999Z', [23, 2, 0, 3], 'H 21:00Z = 23:00 CEST Tue 03-31'],
    ['berlin', '2026-03-31T22:00:00.000Z', [0, 3, 0, 4], 'H 22:00Z = 00:00 CEST Wed 04-01'],
    ['berlin', '2026-03-08T07:00:00.000Z', [8, 7, 1, 3], 'H 07:00Z = 08:00 CET Sun 03-08'],
    ['berlin', '2026-10-25T00:00:00.000Z', [2, 7, 1, 10], 'H 00:00Z = 02:00 CEST Sun 10-25'],
    ['berlin', '2026-10-25T01:00:00.000Z', [2, 7, 1, 10], 'H 01:00Z = 02:00 CET (the repeated hour)'],
    ['berlin', '2026-10-25T02:00:00.000Z', [3, 7, 1, 10], 'H 02:00Z = 03:00 CET'],
    ['nyc', '2026-03-01T04:00:00.000Z', [23, 6, 1, 2], 'H 04:00Z = 23:00 EST Sat 02-28'],
    ['nyc', '2026-03-08T04:00:00.000Z', [23, 6, 1, 3], 'H 04:00Z = 23:00 EST Sat 03-07'],
    ['nyc', '2026-03-08T05:00:00.000Z', [0, 7, 1, 3], 'H 05:00Z = 00:00 EST Sun 03-08'],
    ['nyc', '2026-03-08T06:59:59.999Z', [1, 7, 1, 3], 'H 06:00Z = 01:00 EST'],
    ['nyc', '2026-03-08T07:00:00.000Z', [3, 7, 1, 3], 'H 07:00Z = 03:00 EDT (02:00 does not exist)'],
    ['nyc', '2026-03-09T03:59:59.999Z', [23, 7, 1, 3], 'H 03:00Z = 23:00 EDT Sun 03-08'],
    ['nyc', '2026-03-09T04:00:00.000Z', [0, 1, 0, 3], 'H 04:00Z = 00:00 EDT Mon 03-09'],
    ['nyc', '2026-03-29T01:00:00.000Z', [21, 6, 1, 3], 'H 01:00Z = 21:00 EDT Sat 03-28'],
    ['kolkata', '2026-03-29T18:00:00.000Z', [23, 7, 1, 3], 'H 18:00Z = 23:30 IST Sun 03-29'],
    ['kolkata', '2026-03-29T18:59:59.999Z', [23, 7, 1, 3], 'H 18:00Z = 23:30 IST'],
    ['kolkata', '2026-03-29T19:00:00.000Z', [0, 1, 0, 3], 'H 19:00Z = 00:30 IST Mon 03-30'],
    ['kolkata', '2026-03-31T19:00:00.000Z', [0, 3, 0, 4], 'H 19:00Z = 00:30 IST Wed 04-01'],
    ['utc', '2026-03-28T23:00:00.000Z', [23, 6, 1, 3], 'H 23:00Z Sat 03-28'],
    ['utc', '2026-03-29T00:00:00.000Z', [0, 7, 1, 3], 'H 00:00Z Sun 03-29'],
  ];

  // last_hour_count (0: these entities have no readings) rides along so that the calendar values
  // are checked even if a request of calendar features alone fails (tested separately below).
  it.each(cases)('%s as of %s -> %j (%s)', async (entity, asOf, expected) => {
    const features = [...CAL, 'last_hour_count'];
    expectValues(features, await vector(p, entity, asOf, features), [...expected, 0]);
  });

  it('computes them all in one mixed request, in spine order', async () => {
    const spine = cases.map(([entity, asOf]): [string, string] => [entity, asOf]);
    const result = await rows(p, ['last_hour_count', ...CAL], spine);
    expect(result.map((r) => r.values)).toEqual(cases.map((c) => [0, ...c[2]]));
  });

  it('serves a request of calendar features only (no feature reads the metric)', async () => {
    const spine = cases.map(([entity, asOf]): [string, string] => [entity, asOf]);
    const result = await rows(p, CAL, spine);
    expect(result.map((r) => r.values)).toEqual(cases.map((c) => c[2]));
  });
});

// ---------------------------------------------------------------------------------------------

describe('weather as of t: ts = H, greatest issued_at <= H (spec v2), nulls kept', () => {
  const WX = [
    'weather_temperature_c',
    'weather_humidity_pct',
    'weather_wind_speed_ms',
    'weather_solar_radiation_wm2',
    'weather_precipitation_mm',
  ];
  const NONE = [null, null, null, null, null];
  let p: string;
  let other: string;

  beforeAll(async () => {
    p = await createProject('ka-weather');
    other = await createProject('ka-weather-other');
    await createEntity(p, 'w-meter', 'loc-1', 'UTC');
    await createEntity(p, 'w-noloc', null, 'UTC');
    await createEntity(p, 'w-emptyloc', 'loc-none', 'UTC');
    await createEntity(other, 'w-meter', 'loc-1', 'UTC');

    // Values: [temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm].
    // Hour 11:00: one early forecast (0 must come back as 0, not null).
    await insertWeather(p, 'loc-1', '2026-02-10T11:00:00Z', '2026-02-10T05:00:00Z', [99, 99, 9.9, 0, 0]);
    // Hour 12:00: forecasts (one issued exactly at 12:00), a nowcast at 12:20 with a null, the observation at 13:00.
    await insertWeather(p, 'loc-1', '2026-02-10T12:00:00Z', '2026-02-09T12:00:00Z', [1, 10, 1, 100, 0.1]);
    await insertWeather(p, 'loc-1', '2026-02-10T12:00:00Z', '2026-02-10T06:00:00Z', [2, 20, 2, 200, null]);
    await insertWeather(p, 'loc-1', '2026-02-10T12:00:00Z', '2026-02-10T12:00:00.000Z', [3, 30, 3, 300, 0.3]);
    await insertWeather(p, 'loc-1', '2026-02-10T12:00:00Z', '2026-02-10T12:20:00.000Z', [
      4,
      null,
      4,
      400,
      0.4,
    ]);
    await insertWeather(p, 'loc-1', '2026-02-10T12:00:00Z', '2026-02-10T13:00:00.000Z', [5, 50, 5, 500, 0.5]);
    // Hour 13:00: a forecast issued long before.
    await insertWeather(p, 'loc-1', '2026-02-10T13:00:00Z', '2026-02-10T06:00:00Z', [77, 77, 7.7, 770, 7.7]);
    // Hour 15:00: only a row issued at 15:30. Hour 16:00: only the observation (issued 17:00).
    await insertWeather(
      p,
      'loc-1',
      '2026-02-10T15:00:00Z',
      '2026-02-10T15:30:00.000Z',
      [15, 15, 1.5, 150, 1.5],
    );
    await insertWeather(
      p,
      'loc-1',
      '2026-02-10T16:00:00Z',
      '2026-02-10T17:00:00.000Z',
      [16, 16, 1.6, 160, 1.6],
    );
    // Hour 18:00: only a day-ahead forecast.
    await insertWeather(p, 'loc-1', '2026-02-10T18:00:00Z', '2026-02-09T18:00:00Z', [-3.5, 85, 12, 0, 2.25]);
    // Hour 19:00: a forecast from 18:00, and a new one issued one second into the hour (issue 10).
    await insertWeather(p, 'loc-1', '2026-02-10T19:00:00Z', '2026-02-10T18:00:00Z', [10, 10, 1, 10, 0]);
    await insertWeather(
      p,
      'loc-1',
      '2026-02-10T19:00:00Z',
      '2026-02-10T19:00:01.000Z',
      [99.9, 99.9, 9.99, 999, 9.9],
    );
    // Noise: another location of the project, and the same location id in another project.
    const n20: WeatherValues = [-20, -20, -20, -20, -20];
    await insertWeather(p, 'loc-2', '2026-02-10T12:00:00Z', '2026-02-10T12:05:00Z', n20);
    await insertWeather(p, 'loc-2', '2026-02-10T15:00:00Z', '2026-02-10T15:00:00Z', n20);
    await insertWeather(
      other,
      'loc-1',
      '2026-02-10T12:00:00Z',
      '2026-02-10T12:10:00Z',
      [-50, -50, -50, -50, -50],
    );
    await insertWeather(
      other,
      'loc-1',
      '2026-02-10T15:00:00Z',
      '2026-02-10T15:00:00Z',
      [-60, -60, -60, -60, -60],
    );
    await insertWeather(
      other,
      'loc-1',
      '2026-02-10T20:00:00Z',
      '2026-02-10T19:00:00Z',
      [-70, -70, -70, -70, -70],
    );
  });

  const cases: [asOf: string, expected: (number | null)[], why: string][] = [
    ['2026-02-10T11:59:59.999Z', [99, 99, 9.9, 0, 0], 'H = 11:00: the only row of 11:00'],
    ['2026-02-10T12:00:00.000Z', [3, 30, 3, 300, 0.3], 'issued exactly at H counts (<= H), beats older ones'],
    ['2026-02-10T12:10:00.000Z', [3, 30, 3, 300, 0.3], "other project's 12:10 and loc-2's 12:05 ignored"],
    ['2026-02-10T12:19:59.999Z', [3, 30, 3, 300, 0.3], 'the nowcast issued 12:20 is after H'],
    [
      '2026-02-10T12:20:00.000Z',
      [3, 30, 3, 300, 0.3],
      'the nowcast issued 12:20 is inside the hour: ignored',
    ],
    ['2026-02-10T12:59:59.999Z', [3, 30, 3, 300, 0.3], 'still the 12:00 issue until the hour ends'],
    ['2026-02-10T13:00:00.000Z', [77, 77, 7.7, 770, 7.7], 'H = 13:00: the 13:00 forecast, not the 12:00 obs'],
    ['2026-02-10T15:10:00.000Z', [null, null, null, null, null], 'only a row issued after H (15:30)'],
    ['2026-02-10T15:30:00.000Z', [null, null, null, null, null], 'the 15:30 row is inside the hour: ignored'],
    ['2026-02-10T15:59:59.999Z', [null, null, null, null, null], 'ignored for the whole hour'],
    ['2026-02-10T16:59:59.999Z', [null, null, null, null, null], 'only the observation, issued 17:00'],
    ['2026-02-10T18:00:00.000Z', [-3.5, 85, 12, 0, 2.25], 'a day-ahead forecast'],
    ['2026-02-10T19:00:00.999Z', [10, 10, 1, 10, 0], 'the 18:00 forecast of 19:00'],
    ['2026-02-10T19:30:00.000Z', [10, 10, 1, 10, 0], 'issued at H + 1 s: ignored until the next hour'],
    ['2026-02-10T20:30:00.000Z', [null, null, null, null, null], 'no row of this project for 20:00'],
  ];

  // last_hour_count (0: no readings) rides along so that the weather values are checked even if
  // a request of weather features alone fails (tested separately below).
  const WXC = [...WX, 'last_hour_count'];

  it.each(cases)('as of %s -> %j (%s)', async (asOf, expected) => {
    expectValues(WXC, await vector(p, 'w-meter', asOf, WXC), [...expected, 0]);
  });

  it('is null without a location, or for a location without rows', async () => {
    expectValues(WXC, await vector(p, 'w-noloc', '2026-02-10T12:30:00.000Z', WXC), [...NONE, 0]);
    expectValues(WXC, await vector(p, 'w-emptyloc', '2026-02-10T12:30:00.000Z', WXC), [...NONE, 0]);
  });

  it('serves a request of weather features only (no feature reads the metric)', async () => {
    const result = await rows(
      p,
      WX,
      cases.map(([asOf]): [string, string] => ['w-meter', asOf]),
    );
    expect(result.map((r) => r.values)).toEqual(cases.map((c) => c[1]));
  });

  const lagCases: [asOf: string, lag: number, expected: (number | null)[], why: string][] = [
    ['2026-02-10T12:59:59.999Z', 1, [99, 99, 9.9, 0, 0], 'H = 12:00: hour 11:00 as known at 12:00'],
    ['2026-02-10T13:00:00.000Z', 1, [5, 50, 5, 500, 0.5], 'hour 12:00: its observation, issued 13:00 = H'],
    ['2026-02-10T13:45:00.000Z', 1, [5, 50, 5, 500, 0.5], 'same for every t of the hour'],
    ['2026-02-10T14:00:00.000Z', 1, [77, 77, 7.7, 770, 7.7], 'hour 13:00: the only row'],
    ['2026-02-10T14:00:00.000Z', 2, [5, 50, 5, 500, 0.5], 'lag 2: hour 12:00'],
    ['2026-02-10T16:00:00.000Z', 1, [15, 15, 1.5, 150, 1.5], 'hour 15:00: the 15:30 row is known at 16:00'],
    ['2026-02-10T16:30:00.000Z', 2, [null, null, null, null, null], 'hour 14:00: no row'],
    ['2026-02-10T16:59:59.999Z', 1, [15, 15, 1.5, 150, 1.5], 'H = 16:00'],
    ['2026-02-10T17:00:00.000Z', 1, [16, 16, 1.6, 160, 1.6], 'hour 16:00: observation issued 17:00 = H'],
    ['2026-02-10T20:00:00.000Z', 1, [99.9, 99.9, 9.99, 999, 9.9], 'the H + 1 s forecast, one hour later'],
    ['2026-02-10T21:00:00.000Z', 1, [null, null, null, null, null], "hour 20:00: only another project's row"],
    ['2026-02-17T13:00:00.000Z', 168, [77, 77, 7.7, 770, 7.7], 'lag 168 (the limit): hour 02-10 13:00'],
    ['2026-02-17T12:59:59.999Z', 168, [5, 50, 5, 500, 0.5], 'lag 168: hour 02-10 12:00, observed'],
  ];

  it.each(lagCases)('as of %s, weather_<field>_lag_<%s>h -> %j (%s)', async (asOf, lag, expected) => {
    const features = [...WX.map((f) => `${f}_lag_${lag}h`), 'last_hour_count'];
    expectValues(features, await vector(p, 'w-meter', asOf, features), [...expected, 0]);
  });

  it('mixes weather of H and lagged weather in one vector (several lags, one request)', async () => {
    const features = [
      'weather_temperature_c',
      'weather_temperature_c_lag_1h',
      'weather_humidity_pct_lag_1h',
      'weather_temperature_c_lag_2h',
      'weather_precipitation_mm_lag_7h',
    ];
    // H = 19:00: hour 19 -> 18:00 forecast 10; hour 18 -> -3.5 / 85; hour 17 -> no row; hour 12 -> obs 0.5.
    expectValues(features, await vector(p, 'w-meter', '2026-02-10T19:30:00.000Z', features), [
      10,
      -3.5,
      85,
      null,
      0.5,
    ]);
    expectValues(features, await vector(p, 'w-noloc', '2026-02-10T19:30:00.000Z', features), [
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('puts weather in the forecast_advanced columns, the rest by hand (no readings)', async () => {
    const advanced = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
    // 2026-02-10 is a Tuesday (02-01 is a Sunday): hour 12, day 2, weekday, month 2.
    expectValues(advanced, await vector(p, 'w-meter', '2026-02-10T12:45:00.000Z', advanced), [
      ...[null, null, null], // lag_1h, lag_24h, lag_168h
      ...[12, 2, 0, 2], // hour_of_day, day_of_week, is_weekend, month
      ...[null, null, null, null, null, null], // rolling_24h mean/std/min/max, rolling_168h mean/std
      ...[3, 30, 3, 300, 0.3], // weather: issued 12:00 (the 12:20 nowcast is inside the hour)
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('predefined feature sets', () => {
  it('have the spec column order', () => {
    // Typed by hand from shared/docs/feature-spec.md, "Predefined feature sets (version 1)".
    const basic = ['lag_1h', 'lag_24h', 'lag_168h', 'hour_of_day', 'day_of_week', 'is_weekend'];
    expect(Object.keys(PREDEFINED_FEATURE_SETS).sort()).toEqual([
      'anomaly_detection',
      'forecast_advanced',
      'forecast_basic',
    ]);
    expect(PREDEFINED_FEATURE_SETS.forecast_basic).toEqual(basic);
    expect(PREDEFINED_FEATURE_SETS.forecast_advanced).toEqual([
      ...basic,
      'month',
      'rolling_24h_mean',
      'rolling_24h_std',
      'rolling_24h_min',
      'rolling_24h_max',
      'rolling_168h_mean',
      'rolling_168h_std',
      'weather_temperature_c',
      'weather_humidity_pct',
      'weather_wind_speed_ms',
      'weather_solar_radiation_wm2',
      'weather_precipitation_mm',
    ]);
    expect(PREDEFINED_FEATURE_SETS.anomaly_detection).toEqual([
      'lag_1h',
      'last_hour_min',
      'last_hour_max',
      'last_hour_count',
      'delta_1h',
      'rolling_24h_mean',
      'rolling_24h_std',
      'zscore_24h',
      'rolling_168h_mean',
      'rolling_168h_std',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('SQL views of the predefined sets agree with the offline retrieval (on the data above)', () => {
  const VIEWS = {
    forecast_basic: 'forecast_basic_features',
    forecast_advanced: 'forecast_advanced_features',
    anomaly_detection: 'anomaly_detection_features',
  } as const;
  // Windows over the fixtures above: the main, late and weather scenarios, and the DST weekend.
  const WINDOWS = [
    ['2026-01-08T00:00:00Z', '2026-02-12T00:00:00Z'],
    ['2026-03-28T00:00:00Z', '2026-03-30T12:00:00Z'],
  ] as const;
  const projectNamed = async (name: string) =>
    (await pool.query<{ id: string }>('SELECT id FROM projects WHERE name = $1', [name])).rows[0]
      ?.id as string;

  beforeAll(async () => {
    // Readings for entities of the weather and calendar scenarios (which had none), so that the
    // views have rows for them: weather with every kind of issue, calendars across DST.
    const weather = await projectNamed('ka-weather');
    await upsertReadings(weather, [
      ['w-meter', 'load', '2026-02-10T10:30:00.000Z', 1.5],
      ['w-noloc', 'load', '2026-02-10T10:30:00.000Z', 2.5],
    ]);
    await refresh(weather);
    const calendar = await projectNamed('ka-calendar');
    await upsertReadings(calendar, [
      ['berlin', 'load', '2026-03-28T20:15:00.000Z', 7],
      ['nyc', 'load', '2026-03-28T20:15:00.000Z', 8],
    ]);
    await refresh(calendar);
  });

  it.each(Object.entries(VIEWS))('%s: %s equals features.offline row for row', async (set, view) => {
    const features = PREDEFINED_FEATURE_SETS[set] as readonly string[];
    const rows = await pool.query<Record<string, unknown>>(
      `SELECT * FROM ${view} WHERE (as_of >= $1 AND as_of < $2) OR (as_of >= $3 AND as_of < $4)
        ORDER BY project_id, metric, entity_id, as_of`,
      WINDOWS.flat(),
    );
    expect(rows.fields.map((f) => f.name)).toEqual([
      'project_id',
      'entity_id',
      'metric',
      'as_of',
      ...features,
    ]);
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const row of rows.rows) {
      const key = `${row.project_id} ${row.metric}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    let compared = 0;
    for (const group of groups.values()) {
      const first = group[0] as Record<string, unknown>;
      const offline = await retrieveOfflineFeatures(pool, {
        projectId: first.project_id as string,
        metric: first.metric as string,
        features,
        spine: group.map((r) => ({ entityId: r.entity_id as string, asOf: r.as_of as Date })),
      });
      const fromView = group.map((r) => [
        r.entity_id,
        (r.as_of as Date).toISOString(),
        ...features.map((f) => r[f]),
      ]);
      const fromOffline = offline.map((r) => [r.entityId, r.asOf.toISOString(), ...r.values]);
      expect(fromView).toEqual(fromOffline);
      compared += group.length;
    }
    // Not vacuous: main (4 entities, 2 metrics of meter-1), other, late (2 metrics), weather (2),
    // calendar (2) and the large spine's project are all there, over most of the windows' hours.
    expect(groups.size).toBe(8);
    expect(compared).toBeGreaterThan(5_000);
    const nonNull = (f: string) => rows.rows.filter((r) => r[f] !== null).length;
    for (const f of features) expect(nonNull(f), f).toBeGreaterThan(0);
  });

  it('has one row per hour from the hour after the first reading, and the hand-computed values', async () => {
    const main = await projectNamed('ka-main');
    const hours = await pool.query<{ first: Date; n: number; distinct_n: number }>(
      `SELECT min(as_of) AS first, count(*)::int AS n, count(DISTINCT as_of)::int AS distinct_n
         FROM forecast_basic_features
        WHERE project_id = $1 AND entity_id = 'meter-1' AND metric = 'load' AND as_of < '2026-01-16T00:00:00Z'`,
      [main],
    );
    // The first reading is 2026-01-08T09:59:59.999 (bucket 09:00): rows from 10:00 to 01-15 23:00.
    expect(hours.rows[0]).toEqual({
      first: new Date('2026-01-08T10:00:00Z'),
      n: 7 * 24 + 14,
      distinct_n: 7 * 24 + 14,
    });
    const advanced = await pool.query(
      `SELECT * FROM forecast_advanced_features
        WHERE project_id = $1 AND entity_id = 'meter-1' AND metric = 'load' AND as_of = '2026-01-15T10:00:00Z'`,
      [main],
    );
    const features = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
    expectValues(
      features,
      features.map((f) => advanced.rows[0]?.[f] as number | null),
      [
        6,
        3,
        null,
        10,
        4,
        0,
        1,
        5,
        Math.sqrt(52 / 6),
        2,
        10,
        95 / 3,
        Math.sqrt(33702 / 8),
        null,
        null,
        null,
        null,
        null,
      ],
    );
  });

  it("runs the README's SQL access examples as written (with a real project id)", async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('**SQL access.**'), readme.indexOf('**Retention.**'));
    const examples = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(examples).toHaveLength(2);
    const main = await projectNamed('ka-main');
    const run = (sql: string) => pool.query(sql.replace('<project uuid>', main));
    const result = await run(examples[0] as string);
    expect(examples[0]).toContain('anomaly_detection_features');
    const features = PREDEFINED_FEATURE_SETS.anomaly_detection as readonly string[];
    expect(result.rows).toHaveLength(1);
    // MAIN at H = 2026-01-15T10:00Z, by hand above.
    expectValues(
      features,
      features.map((f) => result.rows[0]?.[f] as number | null),
      [6, 3, 10, 3, 4, 5, Math.sqrt(52 / 6), 1 / Math.sqrt(52 / 6), 95 / 3, Math.sqrt(33702 / 8)],
    );
    // The served-vector example: a vector recorded two hours ago comes back, its first feature named.
    const asOf = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    await pool.query('SELECT aihub_ensure_ai_features_partitions($1, $2)', [asOf, new Date()]);
    await pool.query(
      `INSERT INTO ai_features VALUES ($1, 'anomaly_detection', 1, 'load', 'meter-1', $2, '{6,3,10}', now())`,
      [main, asOf],
    );
    const served = await run(examples[1] as string);
    expect(served.rows.map((r) => [r.as_of, r.lag_1h])).toEqual([[asOf, 6]]);
  });
});
