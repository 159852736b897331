import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/*
 * The peer of bench/offline: DuckDB (2 threads) computing the same forecast_advanced vectors from
 * the same raw readings, entities and weather, exported once from PostgreSQL into a DuckDB file
 * (not timed; cached under the system's temp directory, keyed by the dataset's project id, so a
 * rebuilt dataset gets a new export). The query follows feature-spec.md directly, from raw readings:
 * no partial aggregates, no code shared with the project.
 */

export interface PeerSpineRow {
  entityId: string;
  asOf: Date;
}

const HOUR = 3_600_000;

/*
 * One row per spine row. Every hour of a spine row's longest window (168 h before H) is joined to
 * the raw readings of that hour, and one aggregation with FILTERs gives all lags and rolling
 * statistics (stddev_samp over raw values: null below two readings, like the spec). The join key
 * is one integer, entity number x KEY_STRIDE + hour since the epoch (a fifth faster than joining
 * on the entity's text and the hour). Weather: per (location, hour) the row with the greatest
 * issued_at <= H, where H is that row's own ts.
 */
const KEY_STRIDE = 2 ** 24; // hours since 1970 stay below 2^24 until the year 3884
const peerVectorsSql = `
WITH entity_keys AS (
  SELECT entity_id, location_id, coalesce(timezone, 'UTC') AS tz, row_number() OVER () AS ei FROM entities
),
sp AS (
  SELECT s.ord, s.entity_id, s.as_of_ms // ${HOUR} AS h, e.ei * ${KEY_STRIDE} + s.as_of_ms // ${HOUR} AS k,
         e.location_id, e.tz
    FROM spine s LEFT JOIN entity_keys e ON e.entity_id = s.entity_id
),
window_hours AS (
  SELECT ord, k, unnest(range(k - 168, k)) AS rk FROM sp
),
hourly_readings AS (
  SELECT e.ei * ${KEY_STRIDE} + r.ts_ms // ${HOUR} AS rk, r.value
    FROM readings r JOIN entity_keys e ON e.entity_id = r.entity_id
),
stats AS (
  SELECT w.ord,
         avg(r.value) FILTER (WHERE r.rk = w.k - 1) AS lag_1h,
         avg(r.value) FILTER (WHERE r.rk = w.k - 24) AS lag_24h,
         avg(r.value) FILTER (WHERE r.rk = w.k - 168) AS lag_168h,
         avg(r.value) FILTER (WHERE r.rk >= w.k - 24) AS rolling_24h_mean,
         stddev_samp(r.value) FILTER (WHERE r.rk >= w.k - 24) AS rolling_24h_std,
         min(r.value) FILTER (WHERE r.rk >= w.k - 24) AS rolling_24h_min,
         max(r.value) FILTER (WHERE r.rk >= w.k - 24) AS rolling_24h_max,
         avg(r.value) AS rolling_168h_mean,
         stddev_samp(r.value) AS rolling_168h_std
    FROM window_hours w JOIN hourly_readings r ON r.rk = w.rk
   GROUP BY w.ord
),
wx AS (
  SELECT location_id, ts_ms // ${HOUR} AS h, temperature_c, humidity_pct, wind_speed_ms,
         solar_radiation_wm2, precipitation_mm
    FROM weather
   WHERE issued_ms <= ts_ms
 QUALIFY row_number() OVER (PARTITION BY location_id, ts_ms ORDER BY issued_ms DESC) = 1
)
SELECT sp.ord,
       st.lag_1h, st.lag_24h, st.lag_168h,
       extract(hour FROM timezone(sp.tz, to_timestamp(sp.h * 3600)))::double AS hour_of_day,
       extract(isodow FROM timezone(sp.tz, to_timestamp(sp.h * 3600)))::double AS day_of_week,
       CASE WHEN extract(isodow FROM timezone(sp.tz, to_timestamp(sp.h * 3600))) >= 6 THEN 1 ELSE 0 END::double AS is_weekend,
       extract(month FROM timezone(sp.tz, to_timestamp(sp.h * 3600)))::double AS month,
       st.rolling_24h_mean, st.rolling_24h_std, st.rolling_24h_min, st.rolling_24h_max,
       st.rolling_168h_mean, st.rolling_168h_std,
       wx.temperature_c AS weather_temperature_c, wx.humidity_pct AS weather_humidity_pct,
       wx.wind_speed_ms AS weather_wind_speed_ms, wx.solar_radiation_wm2 AS weather_solar_radiation_wm2,
       wx.precipitation_mm AS weather_precipitation_mm
  FROM sp
  LEFT JOIN stats st ON st.ord = sp.ord
  LEFT JOIN wx ON wx.location_id = sp.location_id AND wx.h = sp.h
 ORDER BY sp.ord`;

export interface DuckPeer {
  /** Loads the spine (not timed by the caller's convention: the project gets it in memory too). */
  loadSpine(spine: readonly PeerSpineRow[]): Promise<void>;
  /** The vectors of the loaded spine, in spine order, as plain arrays of numbers or nulls, and their column names. */
  vectors(): Promise<{ columns: string[]; rows: (number | null)[][] }>;
  close(): void;
}

async function copyToFile(pool: pg.Pool, sql: string, file: string): Promise<void> {
  const client = await pool.connect();
  try {
    await pipeline(
      client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv)`)),
      createWriteStream(file),
    );
  } finally {
    client.release();
  }
}

/** Exports the project's readings (of `metric`), entities and weather into a DuckDB file, once. */
async function exportDataset(pool: pg.Pool, projectId: string, metric: string, file: string): Promise<void> {
  const dir = `${file}.csv`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const project = q(projectId);
  await copyToFile(
    pool,
    `SELECT entity_id, (extract(epoch FROM ts) * 1000)::bigint, value FROM timeseries_data
      WHERE project_id = ${project} AND metric = ${q(metric)}`,
    join(dir, 'readings.csv'),
  );
  await copyToFile(
    pool,
    `SELECT entity_id, location_id, timezone FROM entities WHERE project_id = ${project}`,
    join(dir, 'entities.csv'),
  );
  await copyToFile(
    pool,
    `SELECT location_id, (extract(epoch FROM ts) * 1000)::bigint, (extract(epoch FROM issued_at) * 1000)::bigint,
            temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm
       FROM weather_features WHERE project_id = ${project}`,
    join(dir, 'weather.csv'),
  );
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  const db = await DuckDBInstance.create(partial);
  const connection = await db.connect();
  try {
    const csv = (name: string, columns: string) =>
      `read_csv(${q(join(dir, name))}, header = false, columns = {${columns}})`;
    await connection.run(
      `CREATE TABLE readings AS SELECT * FROM ${csv('readings.csv', "'entity_id': 'VARCHAR', 'ts_ms': 'BIGINT', 'value': 'DOUBLE'")}`,
    );
    await connection.run(
      `CREATE TABLE entities AS SELECT * FROM ${csv('entities.csv', "'entity_id': 'VARCHAR', 'location_id': 'VARCHAR', 'timezone': 'VARCHAR'")}`,
    );
    await connection.run(
      `CREATE TABLE weather AS SELECT * FROM ${csv(
        'weather.csv',
        `'location_id': 'VARCHAR', 'ts_ms': 'BIGINT', 'issued_ms': 'BIGINT', 'temperature_c': 'DOUBLE',
         'humidity_pct': 'DOUBLE', 'wind_speed_ms': 'DOUBLE', 'solar_radiation_wm2': 'DOUBLE', 'precipitation_mm': 'DOUBLE'`,
      )}`,
    );
    await connection.run('CHECKPOINT');
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  await rename(partial, file);
  await rm(dir, { recursive: true, force: true });
}

export async function openDuckPeer(options: {
  pool: pg.Pool;
  datasetName: string;
  projectId: string;
  metric: string;
  threads: number;
}): Promise<DuckPeer> {
  const cacheDir = join(tmpdir(), 'aihub-bench');
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `offline-peer-v1-${options.datasetName}-${options.projectId}.duckdb`);
  if (!existsSync(file)) {
    console.log(`exporting the readings, entities and weather into ${file} for DuckDB (once; not timed)...`);
    await exportDataset(options.pool, options.projectId, options.metric, file);
  }
  const db = await DuckDBInstance.create(file, {
    threads: String(options.threads),
    access_mode: 'READ_WRITE',
  });
  const connection: DuckDBConnection = await db.connect();
  await connection.run("SET TimeZone = 'UTC'");
  return {
    async loadSpine(spine) {
      await connection.run('CREATE OR REPLACE TABLE spine (ord BIGINT, entity_id VARCHAR, as_of_ms BIGINT)');
      const appender = await connection.createAppender('spine');
      spine.forEach((row, i) => {
        appender.appendBigInt(BigInt(i));
        appender.appendVarchar(row.entityId);
        appender.appendBigInt(BigInt(row.asOf.getTime()));
        appender.endRow();
      });
      appender.closeSync();
    },
    async vectors() {
      const reader = await connection.runAndReadAll(peerVectorsSql);
      return {
        columns: reader.columnNames().slice(1),
        rows: reader.getRows().map((row) => row.slice(1).map((v) => (v === null ? null : Number(v)))),
      };
    },
    close() {
      connection.closeSync();
      db.closeSync();
    },
  };
}
