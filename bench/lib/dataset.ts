import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { migrate, readMigrations } from '@aihub/db';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/*
 * The shared benchmark dataset: E entities x H hourly readings (default 1000 x 8760 = 8.76M, one
 * year), plus hourly weather for 10 locations. Built once into database aihub_bench_<E>x<H> and
 * reused by later runs (building it takes minutes); pass --rebuild to start over.
 */

export const HOUR_MS = 3_600_000;
export const DATASET_START = Date.UTC(2025, 0, 1);
export const LOCATIONS = 10;

export function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: eval "$(bash scripts/services.sh env)" first');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function recreateDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  await migrate({ url });
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A deterministic load curve: daily and weekly cycles plus noise, different per entity. */
export function reading(entity: number, hour: number): number {
  const daily = Math.sin(((hour % 24) / 24) * 2 * Math.PI);
  const weekly = Math.cos(((hour % 168) / 168) * 2 * Math.PI);
  const noise = Math.sin(entity * 12.9898 + hour * 78.233) * 0.5;
  return Math.round((50 + entity * 0.01 + 10 * daily + 5 * weekly + noise) * 1000) / 1000;
}

export function entityId(i: number): string {
  return `meter-${String(i).padStart(5, '0')}`;
}

/** Joins generated lines into ~1 MiB chunks: far fewer writes than one per line. */
export async function* chunked(lines: Iterable<string>): AsyncGenerator<string> {
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length > 1 << 20) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

/** COPY text lines produced by `lines`, in chunks, with the given COPY statement. */
export async function copyLines(
  client: pg.ClientBase,
  sql: string,
  lines: () => Generator<string>,
): Promise<void> {
  await pipeline(Readable.from(chunked(lines())), client.query(copyFrom(sql)));
}

export interface Dataset {
  url: string;
  projectId: string;
  entities: number;
  hours: number;
  /** Whether the full refresh already ran in an earlier build. */
  refreshed: boolean;
}

export async function ensureDataset(
  entities: number,
  hours: number,
  options: { rebuild?: boolean } = {},
): Promise<Dataset> {
  const name = `aihub_bench_${entities}x${hours}`;
  const url = databaseUrl(name);
  if (!options.rebuild) {
    const probe = new pg.Client({ connectionString: url });
    try {
      await probe.connect();
      const marker = await probe.query<{ project_id: string; refreshed: boolean }>(
        'SELECT project_id, refreshed FROM bench_marker LIMIT 1',
      );
      const row = marker.rows[0];
      const applied = await probe.query<{ migration_name: string; checksum: string }>(
        'SELECT migration_name, checksum FROM _prisma_migrations',
      );
      const current = await readMigrations();
      // Built with the same migrations, or with a subset of them (then the new ones are applied:
      // rebuilding 8.76M readings takes minutes); otherwise rebuilt.
      const known = applied.rows.every((a) =>
        current.some((m) => a.migration_name === m.name && a.checksum === m.checksum),
      );
      if (row && known) {
        if (applied.rows.length < current.length) {
          console.log(`applying ${current.length - applied.rows.length} new migration(s) to ${name}`);
          await migrate({ url });
        }
        return { url, projectId: row.project_id, entities, hours, refreshed: row.refreshed };
      }
      if (row) console.log('the dataset was built with other migrations: rebuilding it');
    } catch {
      // Not built yet (or half built): build it below.
    } finally {
      await probe.end().catch(() => {});
    }
  }
  console.log(
    `building dataset ${name}: ${entities} entities x ${hours} hours (${(entities * hours).toLocaleString()} readings)...`,
  );
  await recreateDatabase(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const project = await client.query<{ id: string }>(
      `INSERT INTO projects (name) VALUES ('bench') RETURNING id`,
    );
    const projectId = project.rows[0]?.id as string;
    await copyLines(
      client,
      'COPY entities (project_id, entity_id, location_id, timezone) FROM STDIN',
      function* () {
        for (let e = 0; e < entities; e++) {
          yield `${projectId}\t${entityId(e)}\tloc-${e % LOCATIONS}\t${e % 2 === 0 ? 'Europe/Berlin' : 'America/New_York'}\n`;
        }
      },
    );
    // The refresh bench invalidates everything itself; the load skips the trigger's log.
    await client.query(`SET aihub.skip_invalidation = 'on'`);
    await copyLines(
      client,
      'COPY timeseries_data (project_id, entity_id, metric, ts, value) FROM STDIN',
      function* () {
        for (let e = 0; e < entities; e++) {
          const id = entityId(e);
          for (let h = 0; h < hours; h++) {
            yield `${projectId}\t${id}\tkwh\t${new Date(DATASET_START + h * HOUR_MS + 1_000).toISOString()}\t${reading(e, h)}\n`;
          }
        }
      },
    );
    await copyLines(
      client,
      'COPY weather_features (project_id, location_id, ts, issued_at, temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm) FROM STDIN',
      function* () {
        for (let l = 0; l < LOCATIONS; l++) {
          for (let h = 0; h < hours + 1; h++) {
            const ts = DATASET_START + h * HOUR_MS;
            // A forecast issued six hours ahead, then the observation an hour after the fact.
            for (const issued of [ts - 6 * HOUR_MS, ts + HOUR_MS]) {
              yield `${projectId}\tloc-${l}\t${new Date(ts).toISOString()}\t${new Date(issued).toISOString()}\t${(5 + 10 * Math.sin(h / 24)).toFixed(2)}\t60\t3.5\t${h % 24 < 6 ? 0 : 200}\t0\n`;
            }
          }
        }
      },
    );
    await client.query('ANALYZE');
    await client.query(
      'CREATE TABLE bench_marker (project_id uuid, refreshed boolean NOT NULL DEFAULT false)',
    );
    await client.query('INSERT INTO bench_marker VALUES ($1, false)', [projectId]);
    return { url, projectId, entities, hours, refreshed: false };
  } finally {
    await client.end();
  }
}

/**
 * Logs every series as one invalidation run (each series is contiguous, so the run names exactly
 * its hours): the next refresh is a full one. The load itself skips the trigger's log.
 */
export async function invalidateEverything(pool: pg.Pool): Promise<void> {
  await pool.query(`INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
                    SELECT project_id, entity_id, metric, aihub_floor_hour(min(ts)), aihub_floor_hour(max(ts))
                      FROM timeseries_data GROUP BY project_id, entity_id, metric`);
  await pool.query('VACUUM ANALYZE aggregate_invalidations');
}

export async function markRefreshed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('UPDATE bench_marker SET refreshed = true');
  } finally {
    await client.end();
  }
}
