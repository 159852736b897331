-- Time-series store and feature engineering: entities, raw readings, weather, hourly and daily
-- aggregates refreshed incrementally from an invalidation log, user-defined feature sets, exports.

-- Buckets are UTC hours and days whatever the session's TimeZone (date_trunc on timestamptz is not).
CREATE FUNCTION "aihub_floor_hour"(t TIMESTAMPTZ) RETURNS TIMESTAMPTZ
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_bin('1 hour', t, TIMESTAMPTZ '2000-01-01 00:00:00+00');
CREATE FUNCTION "aihub_floor_day"(t TIMESTAMPTZ) RETURNS TIMESTAMPTZ
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_bin('1 day', t, TIMESTAMPTZ '2000-01-01 00:00:00+00');

CREATE TABLE "entities" (
    "project_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "location_id" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "entities_pkey" PRIMARY KEY ("project_id", "entity_id"),
    CONSTRAINT "entities_entity_id_length" CHECK (length("entity_id") BETWEEN 1 AND 200),
    CONSTRAINT "entities_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE INDEX "entities_project_id_location_id_idx" ON "entities"("project_id", "location_id");

-- Raw readings. The key is (project, entity, metric, ts): writing an existing key replaces its value.
-- No foreign key to entities on this hot table: ingest checks entities per batch, which is far
-- cheaper than a per-row constraint lookup at millions of rows.
CREATE TABLE "timeseries_data" (
    "project_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "timeseries_data_pkey" PRIMARY KEY ("project_id", "entity_id", "metric", "ts"),
    CONSTRAINT "timeseries_data_value_finite" CHECK ("value" <> 'NaN'::float8 AND "value" <> 'Infinity'::float8 AND "value" <> '-Infinity'::float8)
);
-- Retention deletes by age across all series. BRIN: readings arrive roughly in time order, so a
-- block-range index finds old rows for a fraction of a B-tree's size and insert cost.
CREATE INDEX "timeseries_data_ts_idx" ON "timeseries_data" USING BRIN ("ts");

-- Weather by location and hour; several issues of the same hour (forecasts, then the observation).
CREATE TABLE "weather_features" (
    "project_id" UUID NOT NULL,
    "location_id" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "temperature_c" DOUBLE PRECISION,
    "humidity_pct" DOUBLE PRECISION,
    "wind_speed_ms" DOUBLE PRECISION,
    "solar_radiation_wm2" DOUBLE PRECISION,
    "precipitation_mm" DOUBLE PRECISION,

    CONSTRAINT "weather_features_pkey" PRIMARY KEY ("project_id", "location_id", "ts", "issued_at"),
    CONSTRAINT "weather_features_ts_hour" CHECK ("ts" = aihub_floor_hour("ts")),
    CONSTRAINT "weather_features_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE INDEX "weather_features_ts_idx" ON "weather_features"("ts");

-- Aggregates per (entity, metric, bucket). m2 is the sum of squared deviations from the bucket mean,
-- the mergeable second moment that rolling statistics combine exactly (Chan et al.).
CREATE TABLE "hourly_features" (
    "project_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "sum" DOUBLE PRECISION NOT NULL,
    "mean" DOUBLE PRECISION NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "m2" DOUBLE PRECISION NOT NULL,
    "std" DOUBLE PRECISION,
    "first_value" DOUBLE PRECISION NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,
    "first_ts" TIMESTAMPTZ(3) NOT NULL,
    "last_ts" TIMESTAMPTZ(3) NOT NULL,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "hourly_features_pkey" PRIMARY KEY ("project_id", "entity_id", "metric", "bucket")
);
CREATE INDEX "hourly_features_bucket_idx" ON "hourly_features"("bucket");

CREATE TABLE "daily_features" (
    "project_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "sum" DOUBLE PRECISION NOT NULL,
    "mean" DOUBLE PRECISION NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "m2" DOUBLE PRECISION NOT NULL,
    "std" DOUBLE PRECISION,
    "first_value" DOUBLE PRECISION NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,
    "first_ts" TIMESTAMPTZ(3) NOT NULL,
    "last_ts" TIMESTAMPTZ(3) NOT NULL,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "daily_features_pkey" PRIMARY KEY ("project_id", "entity_id", "metric", "bucket")
);
CREATE INDEX "daily_features_bucket_idx" ON "daily_features"("bucket");

-- What changed since the last refresh (TimescaleDB's invalidation log, by hand): runs of
-- consecutive changed hours per series, [first_bucket, last_bucket]. Every hour inside a run did
-- change, so a refresh recomputes exactly the changed buckets, while a bulk append of a long
-- series costs one row instead of one per hour. Filled by triggers, so every write path counts
-- (ingest, retention, an analyst's own SQL); bulk ingest of brand-new rows writes the same runs
-- itself and sets aihub.skip_invalidation for that statement, because computing them while
-- parsing is far cheaper than in the trigger.
CREATE TABLE "aggregate_invalidations" (
    "id" BIGSERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "first_bucket" TIMESTAMPTZ(3) NOT NULL,
    "last_bucket" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "aggregate_invalidations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "aggregate_invalidations_run" CHECK ("first_bucket" <= "last_bucket")
);
CREATE INDEX "aggregate_invalidations_project_id_idx" ON "aggregate_invalidations"("project_id");

CREATE FUNCTION "aihub_invalidate_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('aihub.skip_invalidation', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- Gaps and islands: consecutive hours of a series share (bucket - row_number hours).
  INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
  SELECT project_id, entity_id, metric, min(bucket), max(bucket)
    FROM (SELECT project_id, entity_id, metric, bucket,
                 bucket - (row_number() OVER (PARTITION BY project_id, entity_id, metric ORDER BY bucket)) * interval '1 hour' AS island
            FROM (SELECT DISTINCT project_id, entity_id, metric, aihub_floor_hour(ts) AS bucket FROM changed_rows) d) r
   GROUP BY project_id, entity_id, metric, island;
  RETURN NULL;
END $$;

-- An update may move a reading to another hour (ts changed): the old and the new hour both count.
CREATE FUNCTION "aihub_invalidate_updated_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('aihub.skip_invalidation', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
  SELECT project_id, entity_id, metric, min(bucket), max(bucket)
    FROM (SELECT project_id, entity_id, metric, bucket,
                 bucket - (row_number() OVER (PARTITION BY project_id, entity_id, metric ORDER BY bucket)) * interval '1 hour' AS island
            FROM (SELECT project_id, entity_id, metric, aihub_floor_hour(ts) AS bucket FROM old_rows
                  UNION
                  SELECT project_id, entity_id, metric, aihub_floor_hour(ts) FROM new_rows) d) r
   GROUP BY project_id, entity_id, metric, island;
  RETURN NULL;
END $$;

CREATE TRIGGER "timeseries_data_invalidate_insert" AFTER INSERT ON "timeseries_data"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION aihub_invalidate_rows();
CREATE TRIGGER "timeseries_data_invalidate_update" AFTER UPDATE ON "timeseries_data"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION aihub_invalidate_updated_rows();
CREATE TRIGGER "timeseries_data_invalidate_delete" AFTER DELETE ON "timeseries_data"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION aihub_invalidate_rows();

-- User-defined feature sets, immutable per version (the predefined ones live in code).
CREATE TABLE "feature_sets" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "features" TEXT[] NOT NULL,
    "description" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feature_sets_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "feature_sets_version_positive" CHECK ("version" >= 1),
    CONSTRAINT "feature_sets_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "feature_sets_project_id_name_version_key" ON "feature_sets"("project_id", "name", "version");

-- Training-set exports (jobs). Filled in by the export worker.
CREATE TYPE "export_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

CREATE TABLE "feature_exports" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "status" "export_status" NOT NULL DEFAULT 'queued',
    "feature_set" TEXT NOT NULL,
    "feature_set_version" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "rows_written" BIGINT NOT NULL DEFAULT 0,
    "total_rows" BIGINT,
    "bytes" BIGINT,
    "sha256" TEXT,
    "object_key" TEXT,
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "feature_exports_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "feature_exports_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE INDEX "feature_exports_project_id_created_at_idx" ON "feature_exports"("project_id", "created_at");
