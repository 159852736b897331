// bench/offline: point-in-time retrieval of forecast_advanced for N spine rows (default 100k) over
// the E x H dataset (default 1000 x 8760 readings). Prints seconds and rows/s (target <= 10 s).
import { PREDEFINED_FEATURE_SETS } from '@aihub/core';
import { PgFeatureStore, refreshAggregates } from '@aihub/db';
import pg from 'pg';
import {
  DATASET_START,
  ensureDataset,
  entityId,
  HOUR_MS,
  invalidateEverything,
  markRefreshed,
} from '../lib/dataset.js';
import { banner, fmt, option, timed } from '../lib/figures.js';

const entities = option('entities', 1000);
const hours = option('hours', 8760);
const spineRows = option('rows', 100_000);
const dataset = await ensureDataset(entities, hours);
const pool = new pg.Pool({ connectionString: dataset.url, max: 2 });
try {
  if (!dataset.refreshed) {
    console.log('aggregates not built yet: a full refresh first (not timed; bench/refresh times it)...');
    await invalidateEverything(pool);
    await refreshAggregates(pool);
    await markRefreshed(dataset.url);
    await pool.query('VACUUM ANALYZE');
  }
  // A seeded spine: random entity, random time within the year (after the first week, so every
  // window has history), at a random minute of its hour.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const spine = Array.from({ length: spineRows }, () => ({
    entityId: entityId(Math.floor(random() * entities)),
    asOf: new Date(
      DATASET_START + (168 + Math.floor(random() * (hours - 168))) * HOUR_MS + Math.floor(random() * HOUR_MS),
    ),
  }));
  const features = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
  const store = new PgFeatureStore(pool);
  banner(
    `offline: forecast_advanced (${features.length} features) for ${spineRows.toLocaleString()} spine rows over ${(entities * hours).toLocaleString()} readings`,
  );
  // Warm-up on a small slice, so the timing is of the retrieval, not of a cold cache.
  await store.retrieveOffline({
    projectId: dataset.projectId,
    metric: 'kwh',
    features,
    spine: spine.slice(0, 1000),
  });
  const run = await timed(() =>
    store.retrieveOffline({ projectId: dataset.projectId, metric: 'kwh', features, spine }),
  );
  const nonNull = run.result.filter((row) => row.values[0] !== null).length;
  console.log(
    `retrieval: ${fmt(run.seconds)} s, ${fmt(spineRows / run.seconds, 0)} rows/s  (target <= 10 s)`,
  );
  console.log(
    `rows returned: ${run.result.length.toLocaleString()} (lag_1h present in ${nonNull.toLocaleString()})`,
  );
} finally {
  await pool.end();
}
