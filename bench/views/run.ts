// bench/views: the SQL views of the predefined sets (forecast_*_features, anomaly_detection_features)
// against the offline retrieval of the same rows (the baseline: the same feature functions, driven
// by an explicit spine), and the served-feature history's append (one COPY + merge) against a raw
// COPY of the same rows. Prints figures, asserts nothing.
//
// The aggregates are generated directly in SQL (E entities x H hours of hourly and daily buckets,
// default 200 x 8760), not refreshed from readings: both sides read the same aggregate tables, and
// generating them takes seconds instead of the minutes of the shared reading dataset.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PREDEFINED_FEATURE_SETS } from '@aihub/core';
import { PgFeatureStore, PgServedFeatureHistory } from '@aihub/db';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DATASET_START, dropDatabase, entityId, HOUR_MS, recreateDatabase } from '../lib/dataset.js';
import { banner, fmt, option, percentile, timed } from '../lib/figures.js';

const entities = option('entities', 200);
const hours = option('hours', 8760);
const repeats = option('repeats', 30);
const name = 'aihub_bench_views';

console.log(`building ${name}: ${entities} entities x ${hours} hours of aggregates (generated in SQL)...`);
const url = await recreateDatabase(name);
const pool = new pg.Pool({ connectionString: url, max: 2 });
try {
  const projectId = (
    await pool.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('bench') RETURNING id`)
  ).rows[0]?.id as string;
  const start = new Date(DATASET_START);
  const end = new Date(DATASET_START + (hours - 1) * HOUR_MS);
  await pool.query(
    `INSERT INTO entities (project_id, entity_id, location_id, timezone)
     SELECT $1, 'meter-' || lpad(i::text, 5, '0'), 'loc-' || (i % 10), 'Europe/Berlin' FROM generate_series(0, $2 - 1) i`,
    [projectId, entities],
  );
  // A daily cycle plus a per-entity offset; count 2 per hour, a plausible spread.
  await pool.query(
    `INSERT INTO hourly_features (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
                                  first_value, last_value, first_ts, last_ts)
     SELECT $1, 'meter-' || lpad(i::text, 5, '0'), 'kwh', b, 2, 2 * v, v, v - 1, v + 1, 2, sqrt(2), v - 1, v + 1,
            b + interval '10 minutes', b + interval '40 minutes'
       FROM generate_series(0, $2 - 1) i,
            generate_series($3::timestamptz, $4::timestamptz, interval '1 hour') b,
            LATERAL (SELECT 50 + i * 0.01 + 10 * sin(extract(hour FROM b) / 24 * 2 * pi()) AS v) x`,
    [projectId, entities, start, end],
  );
  await pool.query(
    `INSERT INTO daily_features (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
                                 first_value, last_value, first_ts, last_ts)
     SELECT project_id, entity_id, metric, aihub_floor_day(bucket), sum(count), sum(sum), sum(sum) / sum(count),
            min(min), max(max), sum(m2) + sum(count * mean * mean) - sum(sum) ^ 2 / sum(count), 1,
            min(first_value), max(last_value), min(first_ts), max(last_ts)
       FROM hourly_features GROUP BY 1, 2, 3, 4`,
  );
  await pool.query(
    `INSERT INTO weather_features (project_id, location_id, ts, issued_at, temperature_c, humidity_pct)
     SELECT $1, 'loc-' || l, b, b - interval '6 hours', 5 + l, 60
       FROM generate_series(0, 9) l, generate_series($2::timestamptz, $3::timestamptz, interval '1 hour') b`,
    [projectId, start, end],
  );
  await pool.query('VACUUM ANALYZE');

  const store = new PgFeatureStore(pool);
  const middle = DATASET_START + Math.floor(hours / 2) * HOUR_MS;
  const day = [new Date(middle), new Date(middle + 24 * HOUR_MS)] as const;
  const week = [new Date(middle), new Date(middle + 168 * HOUR_MS)] as const;
  const cases: { label: string; entityIds: string[]; range: readonly [Date, Date] }[] = [
    { label: '1 entity x 24 h', entityIds: [entityId(7)], range: day },
    { label: '1 entity x 168 h', entityIds: [entityId(7)], range: week },
    { label: `all ${entities} entities x 24 h`, entityIds: [], range: day },
  ];

  for (const [set, view] of [
    ['forecast_basic', 'forecast_basic_features'],
    ['forecast_advanced', 'forecast_advanced_features'],
    ['anomaly_detection', 'anomaly_detection_features'],
  ] as const) {
    banner(`${view} vs features.offline (${set}) over ${(entities * hours).toLocaleString()} hourly buckets`);
    const features = PREDEFINED_FEATURE_SETS[set] as readonly string[];
    for (const c of cases) {
      const sql = `SELECT * FROM ${view} WHERE project_id = $1 AND metric = 'kwh' AND as_of >= $2 AND as_of < $3${
        c.entityIds.length ? ' AND entity_id = ANY($4)' : ''
      }`;
      const params = [projectId, c.range[0], c.range[1], ...(c.entityIds.length ? [c.entityIds] : [])];
      const plan = (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      const seqScans = [
        ...plan.matchAll(/Seq Scan on (hourly_features|daily_features|weather_features)/g),
      ].map((m) => m[1]);
      const rowsOf = (await pool.query(sql, params)).rows;
      const spine = rowsOf.map((r) => ({ entityId: r.entity_id as string, asOf: r.as_of as Date }));
      const viewTimes: number[] = [];
      const offlineTimes: number[] = [];
      for (let i = 0; i < repeats; i++) {
        viewTimes.push((await timed(() => pool.query(sql, params))).seconds * 1000);
        offlineTimes.push(
          (await timed(() => store.retrieveOffline({ projectId, metric: 'kwh', features, spine }))).seconds *
            1000,
        );
      }
      viewTimes.sort((x, y) => x - y);
      offlineTimes.sort((x, y) => x - y);
      console.log(
        `${c.label.padEnd(24)} ${String(rowsOf.length).padStart(6)} rows   view p50 ${fmt(percentile(viewTimes, 50))} ms p95 ${fmt(
          percentile(viewTimes, 95),
        )} ms   offline (baseline) p50 ${fmt(percentile(offlineTimes, 50))} ms p95 ${fmt(
          percentile(offlineTimes, 95),
        )} ms   seq scans on aggregates: ${seqScans.length ? seqScans.join(', ') : 'none'}`,
      );
    }
  }

  banner('served-feature history: one run appended (COPY into a temporary table + merge) vs a raw COPY');
  const history = new PgServedFeatureHistory(pool);
  const features = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
  for (const runSize of [1_000, 10_000]) {
    const asOf = new Date(middle);
    const vectors = Array.from({ length: runSize }, (_, i) => ({
      entityId: `e-${i}`,
      asOf,
      values: features.map((_, f) => (f % 5 === 4 ? null : i * 0.001 + f)),
    }));
    const key = { projectId, featureSet: 'forecast_advanced', version: 1, metric: `kwh${runSize}` };
    const first = await timed(() => history.append(key, vectors, new Date()));
    const again = await timed(() => history.append(key, vectors, new Date()));
    // Baseline: the same text COPYed straight into an unindexed, unlogged table.
    const client = await pool.connect();
    let raw: number;
    try {
      await client.query(
        'CREATE UNLOGGED TABLE IF NOT EXISTS bench_raw (entity_id text, as_of timestamptz, v float8[])',
      );
      await client.query('TRUNCATE bench_raw');
      const text = vectors
        .map((v) => `${v.entityId}\t${asOf.toISOString()}\t{${v.values.map((x) => x ?? 'NULL').join(',')}}\n`)
        .join('');
      raw = (
        await timed(() =>
          pipeline(Readable.from([text]), client.query(copyFrom('COPY bench_raw FROM STDIN'))),
        )
      ).seconds;
    } finally {
      client.release();
    }
    console.log(
      `${String(runSize).padStart(6)} vectors x ${features.length} features: append ${fmt(first.seconds * 1000)} ms (${first.result} rows), same run again ${fmt(
        again.seconds * 1000,
      )} ms (${again.result} rows changed); raw COPY ${fmt(raw * 1000)} ms`,
    );
  }
} finally {
  await pool.end();
  await dropDatabase(name);
}
