/*
 * Bulk ingest: each batch is COPYed into a temporary staging table, checked against entities, then
 * upserted with INSERT ... SELECT ... ON CONFLICT. Raw SQL because COPY and set-based upserts with
 * "later line wins" (DISTINCT ON ... ORDER BY line DESC) are beyond the ORM. $1 is the project id.
 */
import type { IngestKind } from '@aihub/core';

export const stagingColumns: Record<IngestKind, readonly string[]> = {
  readings: ['line', 'entity_id', 'metric', 'ts', 'value'],
  entities: ['line', 'entity_id', 'location_id', 'timezone'],
  weather: [
    'line',
    'location_id',
    'ts',
    'issued_at',
    'temperature_c',
    'humidity_pct',
    'wind_speed_ms',
    'solar_radiation_wm2',
    'precipitation_mm',
  ],
};

export const createStagingSql: Record<IngestKind, string> = {
  readings: `CREATE TEMP TABLE ingest_staging
    (line bigint, entity_id text, metric text, ts timestamptz, value float8) ON COMMIT DROP`,
  entities: `CREATE TEMP TABLE ingest_staging
    (line bigint, entity_id text, location_id text, timezone text) ON COMMIT DROP`,
  weather: `CREATE TEMP TABLE ingest_staging
    (line bigint, location_id text, ts timestamptz, issued_at timestamptz, temperature_c float8, humidity_pct float8,
     wind_speed_ms float8, solar_radiation_wm2 float8, precipitation_mm float8) ON COMMIT DROP`,
};

export function copyIntoStagingSql(kind: IngestKind): string {
  return `COPY ingest_staging (${stagingColumns[kind].join(', ')}) FROM STDIN`;
}

/** Rows the database itself refuses: time zones PostgreSQL does not know. */
export const stagingProblemsSql: Record<IngestKind, string | null> = {
  readings: null, // entities are checked per batch before anything is staged
  entities: `SELECT s.line, 'timezone: ''' || s.timezone || ''' is not known to the database' AS reason
               FROM ingest_staging s
              WHERE NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = s.timezone)`,
  weather: null,
};

/** Deletes the staging rows reported as problems (their line numbers in $1). */
export const dropStagingLinesSql = 'DELETE FROM ingest_staging WHERE line = ANY($1::bigint[])';

// Rewriting an identical value is skipped (WHERE ... IS DISTINCT FROM), so re-ingesting the same
// file changes nothing and invalidates no aggregate.
export const upsertFromStagingSql: Record<IngestKind, string> = {
  readings: `INSERT INTO timeseries_data (project_id, entity_id, metric, ts, value)
    SELECT DISTINCT ON (entity_id, metric, ts) $1::uuid, entity_id, metric, ts, value
      FROM ingest_staging ORDER BY entity_id, metric, ts, line DESC
    ON CONFLICT (project_id, entity_id, metric, ts) DO UPDATE SET value = EXCLUDED.value
     WHERE timeseries_data.value IS DISTINCT FROM EXCLUDED.value`,
  entities: `INSERT INTO entities (project_id, entity_id, location_id, timezone)
    SELECT DISTINCT ON (entity_id) $1::uuid, entity_id, location_id, timezone
      FROM ingest_staging ORDER BY entity_id, line DESC
    ON CONFLICT (project_id, entity_id) DO UPDATE
       SET location_id = EXCLUDED.location_id, timezone = EXCLUDED.timezone, updated_at = now()
     WHERE (entities.location_id, entities.timezone) IS DISTINCT FROM (EXCLUDED.location_id, EXCLUDED.timezone)`,
  weather: `INSERT INTO weather_features (project_id, location_id, ts, issued_at, temperature_c, humidity_pct,
                                          wind_speed_ms, solar_radiation_wm2, precipitation_mm)
    SELECT DISTINCT ON (location_id, ts, issued_at) $1::uuid, location_id, ts, issued_at, temperature_c,
           humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm
      FROM ingest_staging ORDER BY location_id, ts, issued_at, line DESC
    ON CONFLICT (project_id, location_id, ts, issued_at) DO UPDATE
       SET temperature_c = EXCLUDED.temperature_c, humidity_pct = EXCLUDED.humidity_pct,
           wind_speed_ms = EXCLUDED.wind_speed_ms, solar_radiation_wm2 = EXCLUDED.solar_radiation_wm2,
           precipitation_mm = EXCLUDED.precipitation_mm`,
};
