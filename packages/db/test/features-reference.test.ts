import { type FeatureRow, PREDEFINED_FEATURE_SETS } from '@aihub/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAggregates, retrieveOfflineFeatures } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';
import { mulberry32 } from './support/random.js';
import {
  compareRows,
  formatMismatches,
  HOUR_MS,
  type RefData,
  type RefEntity,
  type RefReading,
  type RefWeather,
  referenceFeature,
  referenceRows,
} from './support/reference-features.js';
import { insertProject } from './support/sql-fixtures.js';

/*
 * Randomized cross-check of the offline engine against the naive reference implementation
 * (test/support/reference-features.ts). A seeded PRNG builds ~10 days of irregular readings for
 * four entities in four timezones (gaps, an outage longer than a day, duplicates replaced, readings
 * on and just before hour boundaries, values of very different magnitudes: 1e6 + noise below 1
 * exposes variance formulas that cancel catastrophically), weather with many issues per hour,
 * another metric and another project as noise. Then late inserts, updates, moves and deletes after
 * a first refresh. Every predefined set and two custom sets are compared on a random spine within
 * the spec's tolerance; nulls must match exactly.
 *
 * The reference reads the raw tables back with plain SQL, so it sees exactly what the store holds.
 */

const SEED = 20_260_321;

const rand = mulberry32(SEED);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const chance = (p: number) => rand() < p;

const START = Date.parse('2026-03-21T00:00:00Z'); // spans the Berlin DST change of 2026-03-29
const HOURS = 240;
const METRIC = 'load';

interface EntityPlan {
  id: string;
  timezone: string;
  location: string | null;
  value: (hour: number) => number;
  outage?: [number, number]; // hour indexes without data
}

const PLANS: EntityPlan[] = [
  // Large offset, tiny noise: sum-of-squares variance loses every digit here.
  { id: 'e-berlin', timezone: 'Europe/Berlin', location: 'loc-a', value: () => 1e6 + (rand() - 0.5) },
  {
    id: 'e-ny',
    timezone: 'America/New_York',
    location: 'loc-b',
    value: (h) => 50 + 30 * Math.sin(h / 7) + 10 * (rand() - 0.5),
    outage: [100, 140],
  },
  { id: 'e-kolkata', timezone: 'Asia/Kolkata', location: null, value: () => 1e-3 * rand() },
  // Mostly moderate values, occasional huge spikes and negatives.
  {
    id: 'e-utc',
    timezone: 'UTC',
    location: 'loc-a',
    value: () => (chance(0.05) ? pick([1e5, -1e5]) * rand() : 100 * (rand() - 0.3)),
  },
];

const CUSTOM_SETS: Record<string, readonly string[]> = {
  custom: ['lag_3h', 'rolling_5h_max', 'rolling_48h_std', 'rolling_1h_count', 'last_hour_count'],
  custom_wide: [
    'rolling_8760h_count',
    'rolling_8760h_mean',
    'lag_2h',
    'lag_169h',
    'rolling_1h_std',
    'rolling_2h_min',
    'rolling_72h_max',
    'lag_72h', // read from the 72-hour window's first hours (a lag as long as a window longer than 48 h)
    'last_hour_min',
    'last_hour_max',
    'delta_1h',
    'zscore_24h',
    'month',
    'day_of_week',
    'hour_of_day',
    'is_weekend',
  ],
  // Weather cut at H (nowcasts inside the hour, observations issued at ts + 1h) and its lags.
  custom_weather: [
    'weather_temperature_c',
    'weather_temperature_c_lag_1h',
    'weather_humidity_pct_lag_1h',
    'weather_wind_speed_ms_lag_2h',
    'weather_solar_radiation_wm2_lag_24h',
    'weather_precipitation_mm_lag_168h',
    'weather_temperature_c_lag_37h',
    'lag_1h',
  ],
};

const SETS: Record<string, readonly string[]> = { ...PREDEFINED_FEATURE_SETS, ...CUSTOM_SETS };

/** A reading's timestamp within hour h: on the hour, the last millisecond, or anywhere. */
function tsInHour(h: number): number {
  const base = START + h * HOUR_MS;
  const r = rand();
  if (r < 0.1) return base;
  if (r < 0.2) return base + HOUR_MS - 1;
  return base + Math.floor(rand() * HOUR_MS);
}

type Key = string;
const keyOf = (entity: string, metric: string, ts: number): Key => `${entity}|${metric}|${ts}`;

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

const createProject = (name: string) => insertProject(pool, name);

interface Row {
  entity: string;
  metric: string;
  ts: number;
  value: number;
}

/** One statement (keys must be distinct within it); an existing key gets the new value. */
async function upsert(projectId: string, rows: readonly Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await pool.query(
      `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
       SELECT $1::uuid, e, m, t, v FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::float8[]) AS r(e, m, t, v)
       ON CONFLICT (project_id, entity_id, metric, ts) DO UPDATE SET value = EXCLUDED.value`,
      [
        projectId,
        chunk.map((r) => r.entity),
        chunk.map((r) => r.metric),
        chunk.map((r) => new Date(r.ts).toISOString()),
        chunk.map((r) => r.value),
      ],
    );
  }
}

/** The store's raw state, read back with plain SQL. */
async function loadReferenceData(): Promise<RefData> {
  const readings = await pool.query<{
    project_id: string;
    entity_id: string;
    metric: string;
    ts: Date;
    value: number;
  }>('SELECT project_id, entity_id, metric, ts, value FROM timeseries_data');
  const entities = await pool.query<{
    project_id: string;
    entity_id: string;
    location_id: string | null;
    timezone: string;
  }>('SELECT project_id, entity_id, location_id, timezone FROM entities');
  const weather = await pool.query<{
    project_id: string;
    location_id: string;
    ts: Date;
    issued_at: Date;
    temperature_c: number | null;
    humidity_pct: number | null;
    wind_speed_ms: number | null;
    solar_radiation_wm2: number | null;
    precipitation_mm: number | null;
  }>('SELECT * FROM weather_features');
  return {
    readings: readings.rows.map(
      (r): RefReading => ({
        projectId: r.project_id,
        entityId: r.entity_id,
        metric: r.metric,
        ts: r.ts,
        value: r.value,
      }),
    ),
    entities: entities.rows.map(
      (e): RefEntity => ({
        projectId: e.project_id,
        entityId: e.entity_id,
        locationId: e.location_id,
        timezone: e.timezone,
      }),
    ),
    weather: weather.rows.map(
      (w): RefWeather => ({
        projectId: w.project_id,
        locationId: w.location_id,
        ts: w.ts,
        issuedAt: w.issued_at,
        temperature_c: w.temperature_c,
        humidity_pct: w.humidity_pct,
        wind_speed_ms: w.wind_speed_ms,
        solar_radiation_wm2: w.solar_radiation_wm2,
        precipitation_mm: w.precipitation_mm,
      }),
    ),
  };
}

function randomSpine(size: number): { entityId: string; asOf: Date }[] {
  const spine: { entityId: string; asOf: Date }[] = [];
  for (let i = 0; i < size; i++) {
    if (i > 10 && chance(0.03)) {
      spine.push({ ...(spine[randInt(0, spine.length - 1)] as { entityId: string; asOf: Date }) }); // a duplicate
      continue;
    }
    // From a day before the data (all empty) to a day after it (windows draining).
    const h = randInt(-24, HOURS + 24);
    spine.push({ entityId: pick(PLANS).id, asOf: new Date(tsInHour(h)) });
  }
  return spine;
}

const weatherValue = (lo: number, hi: number, decimals: number) =>
  chance(0.12) ? null : Math.round((lo + rand() * (hi - lo)) * 10 ** decimals) / 10 ** decimals;

async function insertWeather(
  projectId: string,
  locations: readonly string[],
  scale: number,
): Promise<number> {
  const rows: unknown[][] = [];
  for (const location of locations) {
    for (let h = -48; h < HOURS + 48; h++) {
      if (chance(0.08)) continue; // no weather at all for this hour
      const ts = START + h * HOUR_MS;
      const issues = new Set<number>();
      for (let k = randInt(0, 3); k > 0; k--)
        issues.add(ts - randInt(1, 72) * HOUR_MS - (chance(0.5) ? 0 : randInt(0, HOUR_MS - 1)));
      if (chance(0.3)) issues.add(ts); // forecast issued exactly at the hour it describes
      if (chance(0.4)) issues.add(ts + randInt(0, HOUR_MS - 1)); // nowcast within the hour
      if (chance(0.3)) issues.add(ts + HOUR_MS - 1);
      if (chance(0.7)) issues.add(ts + HOUR_MS); // the observation
      for (const issued of issues) {
        rows.push([
          location,
          new Date(ts).toISOString(),
          new Date(issued).toISOString(),
          chance(0.12) ? null : scale * (-15 + rand() * 50),
          weatherValue(0, 100, 0),
          weatherValue(0, 25, 2),
          chance(0.3) ? 0 : weatherValue(0, 950, 1),
          chance(0.5) ? 0 : weatherValue(0, 8, 2),
        ]);
      }
    }
  }
  const col = (i: number) => rows.map((r) => r[i]);
  await pool.query(
    `INSERT INTO weather_features (project_id, location_id, ts, issued_at, temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm)
     SELECT $1::uuid, l, t, i, a, b, c, d, e
     FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[]) AS w(l, t, i, a, b, c, d, e)`,
    [projectId, col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7)],
  );
  return rows.length;
}

describe('offline features against the reference implementation (randomized, seeded)', () => {
  let main: string;
  let other: string;
  /** The main project's current readings by key (for choosing keys to update, move and delete). */
  const current = new Map<Key, Row>();

  beforeAll(async () => {
    main = await createProject('rx-main');
    other = await createProject('rx-other');
    for (const plan of PLANS) {
      await pool.query(
        'INSERT INTO entities (project_id, entity_id, location_id, timezone) VALUES ($1, $2, $3, $4)',
        [main, plan.id, plan.location, plan.timezone],
      );
    }
    // The same entity ids in another project, with their own data and weather: never to be seen.
    await pool.query(
      `INSERT INTO entities (project_id, entity_id, location_id, timezone) VALUES ($1, 'e-berlin', 'loc-a', 'UTC'), ($1, 'e-ny', 'loc-b', 'Asia/Tokyo')`,
      [other],
    );

    const tempRows: Row[] = [];
    for (const plan of PLANS) {
      for (let h = 0; h < HOURS; h++) {
        if (plan.outage && h >= plan.outage[0] && h < plan.outage[1]) continue;
        if (chance(0.15)) continue; // a gap
        for (let n = randInt(1, 5); n > 0; n--) {
          const ts = tsInHour(h);
          const row = { entity: plan.id, metric: METRIC, ts, value: plan.value(h) };
          current.set(keyOf(row.entity, row.metric, row.ts), row); // a duplicate ts: the later value wins
        }
        // Another metric of the same entity, same hours, absurd values.
        if (chance(0.3))
          tempRows.push({ entity: plan.id, metric: 'temp', ts: tsInHour(h), value: 1e9 * (1 + rand()) });
      }
    }
    const temp = new Map(tempRows.map((r) => [keyOf(r.entity, r.metric, r.ts), r]));
    await upsert(main, [...current.values(), ...temp.values()]);

    // Duplicates replaced: a second statement writes new values to existing keys.
    const replaced = [...current.values()]
      .filter(() => chance(0.05))
      .map((r) => ({ ...r, value: r.value * 1.5 + 3 }));
    await upsert(main, replaced);
    for (const r of replaced) current.set(keyOf(r.entity, r.metric, r.ts), r);

    const noise = new Map<Key, Row>();
    for (const entity of ['e-berlin', 'e-ny']) {
      for (let h = 0; h < HOURS; h++) {
        if (chance(0.5)) {
          const ts = tsInHour(h);
          noise.set(keyOf(entity, METRIC, ts), { entity, metric: METRIC, ts, value: -5e5 + rand() });
        }
      }
    }
    await upsert(other, [...noise.values()]);

    await insertWeather(main, ['loc-a', 'loc-b'], 1);
    await insertWeather(other, ['loc-a', 'loc-b'], -100);
  });

  async function compareAll(label: string, spine: readonly { entityId: string; asOf: Date }[]) {
    const data = await loadReferenceData();
    const report: string[] = [];
    let total = 0;
    for (const [name, features] of Object.entries(SETS)) {
      const request = { projectId: main, metric: METRIC, features, spine, includeLabel: true };
      const actual = await retrieveOfflineFeatures(pool, request);
      const expected = referenceRows(data, request);
      const mismatches = compareRows(features, expected, actual, {
        // delta_1h = lag_1h - lag_2h: each lag may be off by 1e-9 of its own size, so the
        // difference is judged against the size of its operands, not of the (small) result.
        operandScale: (row: FeatureRow, feature: string) => {
          if (feature !== 'delta_1h') return 0;
          const q = { projectId: main, entityId: row.entityId, metric: METRIC, asOf: row.asOf };
          return Math.max(
            Math.abs(referenceFeature(data, q, 'lag_1h') ?? 0),
            Math.abs(referenceFeature(data, q, 'lag_2h') ?? 0),
          );
        },
      });
      total += mismatches.length;
      if (mismatches.length > 0) report.push(`[${label}] set ${name}: ${formatMismatches(mismatches, 15)}`);
    }
    expect(total, report.join('\n')).toBe(0);
    return data;
  }

  it('matches after the first refresh', async () => {
    const result = await refreshAggregates(pool);
    expect(result.hourlyBuckets).toBeGreaterThan(0);
    const data = await compareAll('first refresh', randomSpine(150));
    // The fixture really has what it claims (guards against a vacuous comparison).
    const counts = new Set<number | null>();
    for (let h = 0; h < HOURS; h += 3) {
      counts.add(
        referenceFeature(
          data,
          { projectId: main, entityId: 'e-ny', metric: METRIC, asOf: new Date(START + h * HOUR_MS) },
          'rolling_24h_count',
        ),
      );
    }
    expect(counts.has(0)).toBe(true); // the outage empties the 24h window
  });

  it('matches after late inserts, updates, moves and deletes and a second refresh', async () => {
    const touched = new Set<string>(); // entity|metric|hour
    const touchedDays = new Set<string>();
    const touch = (r: Row) => {
      touched.add(`${r.entity}|${r.metric}|${Math.floor(r.ts / HOUR_MS)}`);
      touchedDays.add(`${r.entity}|${r.metric}|${Math.floor(r.ts / (24 * HOUR_MS))}`);
    };

    // Late readings: into hours already refreshed, into gaps, some older than everything in their hour.
    const late = new Map<Key, Row>();
    for (let i = 0; i < 150; i++) {
      const plan = pick(PLANS);
      const ts = tsInHour(randInt(0, HOURS - 1));
      const key = keyOf(plan.id, METRIC, ts);
      if (current.has(key)) continue;
      late.set(key, { entity: plan.id, metric: METRIC, ts, value: plan.value(0) });
    }
    await upsert(main, [...late.values()]);
    for (const [k, r] of late) {
      current.set(k, r);
      touch(r);
    }

    const existing = () => [...current.values()];

    // Plain UPDATEs of values.
    for (const r of existing().filter(() => chance(0.02))) {
      const value = -r.value + 0.25;
      await pool.query(
        'UPDATE timeseries_data SET value = $5 WHERE project_id = $1 AND entity_id = $2 AND metric = $3 AND ts = $4',
        [main, r.entity, r.metric, new Date(r.ts).toISOString(), value],
      );
      current.set(keyOf(r.entity, r.metric, r.ts), { ...r, value });
      touch(r);
    }

    // Moves: a reading's ts changes to another hour.
    for (const r of existing().filter(() => chance(0.005))) {
      const ts = tsInHour(randInt(0, HOURS - 1));
      if (current.has(keyOf(r.entity, r.metric, ts))) continue;
      await pool.query(
        'UPDATE timeseries_data SET ts = $5 WHERE project_id = $1 AND entity_id = $2 AND metric = $3 AND ts = $4',
        [main, r.entity, r.metric, new Date(r.ts).toISOString(), new Date(ts).toISOString()],
      );
      current.delete(keyOf(r.entity, r.metric, r.ts));
      current.set(keyOf(r.entity, r.metric, ts), { ...r, ts });
      touch(r);
      touch({ ...r, ts });
    }

    // Deletes: single readings, and whole hours.
    for (const r of existing().filter(() => chance(0.02))) {
      await pool.query(
        'DELETE FROM timeseries_data WHERE project_id = $1 AND entity_id = $2 AND metric = $3 AND ts = $4',
        [main, r.entity, r.metric, new Date(r.ts).toISOString()],
      );
      current.delete(keyOf(r.entity, r.metric, r.ts));
      touch(r);
    }
    for (let i = 0; i < 6; i++) {
      const plan = pick(PLANS);
      const h = randInt(0, HOURS - 1);
      const from = START + h * HOUR_MS;
      await pool.query(
        'DELETE FROM timeseries_data WHERE project_id = $1 AND entity_id = $2 AND metric = $3 AND ts >= $4 AND ts < $5',
        [main, plan.id, METRIC, new Date(from).toISOString(), new Date(from + HOUR_MS).toISOString()],
      );
      for (const [k, r] of current) {
        if (r.entity === plan.id && r.ts >= from && r.ts < from + HOUR_MS) {
          current.delete(k);
          touch(r);
        }
      }
    }

    const result = await refreshAggregates(pool);
    // Only invalidated buckets are recomputed (an hour emptied by deletes may or may not count).
    expect(result.hourlyBuckets).toBeGreaterThan(0);
    expect(result.hourlyBuckets).toBeLessThanOrEqual(touched.size);
    expect(result.dailyBuckets).toBeGreaterThan(0);
    expect(result.dailyBuckets).toBeLessThanOrEqual(touchedDays.size);

    const data = await compareAll('second refresh', randomSpine(300));
    // The mirror of what was written agrees with what the store holds (else the fixture is wrong).
    expect(data.readings.filter((r) => r.projectId === main && r.metric === METRIC).length).toBe(
      current.size,
    );

    expect(await refreshAggregates(pool)).toEqual({ hourlyBuckets: 0, dailyBuckets: 0 });
  });
});
