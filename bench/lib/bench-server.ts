import { randomBytes } from 'node:crypto';
import { refreshAggregates } from '@aihub/db';
import { type AihubClient, createAihubClient } from '@aihub/server/client';
import pg from 'pg';
import { type Dataset, ensureDataset, markRefreshed } from './dataset.js';
import { type ServerProcess, spawnServer } from './server.js';

/** A dataset with its aggregates built, and the real server on it with a key of the dataset's project. */
export async function benchServer(
  entities: number,
  hours: number,
  env: Record<string, string> = {},
): Promise<{ dataset: Dataset; server: ServerProcess; client: AihubClient; url: string; apiKey: string }> {
  const dataset = await ensureDataset(entities, hours);
  if (!dataset.refreshed) {
    console.log('aggregates not built yet: refreshing once (not timed)...');
    const pool = new pg.Pool({ connectionString: dataset.url, max: 2 });
    try {
      // The dataset is loaded without the invalidation log: invalidate every series whole, then refresh.
      await pool.query(
        `INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
         SELECT project_id, entity_id, metric, aihub_floor_hour(min(ts)), aihub_floor_hour(max(ts))
           FROM timeseries_data GROUP BY project_id, entity_id, metric`,
      );
      await refreshAggregates(pool);
      await pool.query('VACUUM ANALYZE');
    } finally {
      await pool.end();
    }
    await markRefreshed(dataset.url);
  }
  const adminKey = `aihub_benchadm_${randomBytes(32).toString('base64url').slice(0, 43)}`;
  const server = await spawnServer({
    DATABASE_URL: dataset.url,
    AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
    ...env,
  });
  const admin = createAihubClient({ url: server.url, apiKey: adminKey });
  // The dataset's project was created by SQL; a key of it comes from the root admin.
  const { token } = await admin.keys.create.mutate({
    name: `bench-${Date.now()}`,
    role: 'writer',
    project: 'bench',
  });
  return {
    dataset,
    server,
    client: createAihubClient({ url: server.url, apiKey: token }),
    url: server.url,
    apiKey: token,
  };
}
