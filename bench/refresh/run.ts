// bench/refresh: a full refresh of E x H readings (default 1000 x 8760 = 8.76M), then one new hour
// appended and refreshed incrementally. Prints the incremental time as a fraction of the full one.
import { refreshAggregates } from '@aihub/db';
import pg from 'pg';
import {
  DATASET_START,
  ensureDataset,
  entityId,
  HOUR_MS,
  invalidateEverything,
  markRefreshed,
  reading,
} from '../lib/dataset.js';
import { banner, fmt, option, timed } from '../lib/figures.js';

const entities = option('entities', 1000);
const hours = option('hours', 8760);
const dataset = await ensureDataset(entities, hours, { rebuild: process.argv.includes('--rebuild') });
const pool = new pg.Pool({ connectionString: dataset.url, max: 2 });
try {
  banner(`refresh: ${entities} entities x ${hours} hours = ${(entities * hours).toLocaleString()} readings`);
  // Full refresh: every bucket invalidated, as after the initial load.
  await invalidateEverything(pool);
  const full = await timed(() => refreshAggregates(pool));
  await markRefreshed(dataset.url);
  await pool.query('VACUUM ANALYZE hourly_features');
  await pool.query('VACUUM ANALYZE daily_features');
  console.log(
    `full refresh:        ${fmt(full.seconds)} s  (${full.result.hourlyBuckets.toLocaleString()} hourly, ${full.result.dailyBuckets.toLocaleString()} daily buckets)`,
  );

  // One new hour for every entity, through the normal write path (the invalidation triggers).
  const ts = new Date(DATASET_START + hours * HOUR_MS + 60_000);
  const values = Array.from({ length: entities }, (_, e) => reading(e, hours));
  await pool.query(
    `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
     SELECT $1, e, 'kwh', $2, v FROM unnest($3::text[], $4::float8[]) AS t(e, v)`,
    [dataset.projectId, ts, Array.from({ length: entities }, (_, e) => entityId(e)), values],
  );
  const incremental = await timed(() => refreshAggregates(pool));
  console.log(
    `incremental refresh: ${fmt(incremental.seconds, 3)} s  (${incremental.result.hourlyBuckets.toLocaleString()} hourly, ${incremental.result.dailyBuckets.toLocaleString()} daily buckets)`,
  );
  console.log(
    `ratio incremental / full: ${fmt((incremental.seconds / full.seconds) * 100, 3)} %  (target <= 2 %)`,
  );

  // Leave the dataset as it was for the next run.
  await pool.query('DELETE FROM timeseries_data WHERE ts = $1', [ts]);
  await refreshAggregates(pool);
} finally {
  await pool.end();
}
