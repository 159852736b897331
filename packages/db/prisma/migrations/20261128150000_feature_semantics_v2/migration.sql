-- Feature spec version 2 (issue 10): weather is cut at H = floor_hour(as_of) like every other
-- source, the weather_<field>_lag_<n>h family, the metrics a project has recorded (so a request for
-- a metric that never existed is refused instead of answering nulls), and export warnings.

-- Weather for the hour [H, H+1h) at the entity's location as known at H: the row with ts = H and
-- the greatest issued_at <= H. A forecast issued inside the hour is not used before the next hour,
-- so a vector is the same for every as_of in the hour, online and offline. Null fields stay null.
CREATE OR REPLACE FUNCTION "get_weather_features"(
  p_project_id UUID, p_location_id TEXT, p_as_of TIMESTAMPTZ
) RETURNS TABLE (
  "temperature_c" DOUBLE PRECISION, "humidity_pct" DOUBLE PRECISION, "wind_speed_ms" DOUBLE PRECISION,
  "solar_radiation_wm2" DOUBLE PRECISION, "precipitation_mm" DOUBLE PRECISION
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT w.temperature_c, w.humidity_pct, w.wind_speed_ms, w.solar_radiation_wm2, w.precipitation_mm
    FROM weather_features w
   WHERE w.project_id = p_project_id AND w.location_id = p_location_id
     AND w.ts = aihub_floor_hour(p_as_of) AND w.issued_at <= aihub_floor_hour(p_as_of)
   ORDER BY w.issued_at DESC
   LIMIT 1
$$;

-- weather_<field>_lag_<n>h: the hour [H - n h, H - (n-1) h) as known at H, i.e. the row with
-- ts = H - n h and the greatest issued_at <= H. For n = 1 that is the observation of the last
-- complete hour (issued at ts + 1h = H), so observation-only projects get weather features.
-- SELECT * FROM get_weather_lag_features('<project uuid>', 'loc-1', now(), 1);
CREATE FUNCTION "get_weather_lag_features"(
  p_project_id UUID, p_location_id TEXT, p_as_of TIMESTAMPTZ, p_lag_hours INTEGER
) RETURNS TABLE (
  "temperature_c" DOUBLE PRECISION, "humidity_pct" DOUBLE PRECISION, "wind_speed_ms" DOUBLE PRECISION,
  "solar_radiation_wm2" DOUBLE PRECISION, "precipitation_mm" DOUBLE PRECISION
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT w.temperature_c, w.humidity_pct, w.wind_speed_ms, w.solar_radiation_wm2, w.precipitation_mm
    FROM weather_features w
   WHERE w.project_id = p_project_id AND w.location_id = p_location_id
     AND w.ts = aihub_floor_hour(p_as_of) - make_interval(hours => p_lag_hours)
     AND w.issued_at <= aihub_floor_hour(p_as_of)
   ORDER BY w.issued_at DESC
   LIMIT 1
$$;

-- Every metric a project has recorded readings of. Written by the aggregate refresh (which
-- serializes on its own lock, so ingest never waits on this table) from the invalidations it
-- claims; a metric whose readings are still waiting for a refresh is read from
-- aggregate_invalidations. Rows are never deleted: retention empties a metric, it does not make
-- it unknown.
CREATE TABLE "project_metrics" (
    "project_id" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_metrics_pkey" PRIMARY KEY ("project_id", "metric"),
    CONSTRAINT "project_metrics_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
INSERT INTO project_metrics (project_id, metric)
SELECT m.project_id, m.metric
  FROM (SELECT project_id, metric FROM hourly_features
        UNION
        SELECT project_id, metric FROM aggregate_invalidations) m
 WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = m.project_id);

-- Warnings of an export (for example: most rows would have no readings in their windows).
ALTER TABLE "feature_exports" ADD COLUMN "warnings" TEXT[] NOT NULL DEFAULT '{}';
