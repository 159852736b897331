-- ai_features: the history of served feature vectors (issue 15). Every materialization run appends
-- the vectors it wrote to the online store (Redis), so one can later say which vector was served
-- for an entity at a given hour (drift monitoring, audits of a prediction).
--
-- Columns:
--   project_id           the project (tenant) the vector belongs to
--   feature_set          feature set name (predefined or user-defined)
--   feature_set_version  its version; a set version's features never change
--   metric               the target metric the features are computed for
--   entity_id            the entity
--   as_of                the whole UTC hour H the vector is for (only readings before H count)
--   feature_values       the vector, in the feature set version's column order (feature-spec.md);
--                        an element is NULL where the feature has no value
--   materialized_at      when the run that wrote these values started
--
-- One row per (project, set, version, metric, entity, hour): a run for an hour already written
-- (a late reading changed the aggregates and the vector was rewritten) replaces the values and
-- materialized_at when they differ, so the row holds the vector served last for that hour;
-- re-writing identical values changes nothing.
--
-- Partitioned by UTC day of as_of, so retention (RETENTION_FEATURES_DAYS) drops whole partitions
-- instead of deleting rows. Partitions are named ai_features_pYYYYMMDD and created ahead by
-- aihub_ensure_ai_features_partitions() (the writer calls it before each run). No foreign key to
-- projects: the per-row check would cost on the COPY path, rows are only written by
-- materialization (whose registration references the project), and projects are never deleted.
CREATE TABLE "ai_features" (
    "project_id" UUID NOT NULL,
    "feature_set" TEXT NOT NULL,
    "feature_set_version" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "as_of" TIMESTAMPTZ(3) NOT NULL,
    "feature_values" DOUBLE PRECISION[] NOT NULL,
    "materialized_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ai_features_pkey" PRIMARY KEY ("project_id", "feature_set", "feature_set_version", "metric", "entity_id", "as_of"),
    CONSTRAINT "ai_features_as_of_hour" CHECK ("as_of" = aihub_floor_hour("as_of"))
) PARTITION BY RANGE ("as_of");

-- Creates the missing daily partitions covering [p_from, p_to) (whole UTC days); returns how many
-- it created. Safe under concurrency: callers serialize on an advisory lock and re-check, so two
-- processes never race to create the same partition. A partition is created as a plain table and
-- then ATTACHed: ATTACH takes only a SHARE UPDATE EXCLUSIVE lock on ai_features, so readers and
-- writers of other partitions are never blocked (CREATE TABLE ... PARTITION OF would take an
-- ACCESS EXCLUSIVE lock on the parent and queue behind every running transaction that uses it).
-- The CHECK constraint matching the bounds lets ATTACH skip its validation scan.
-- Generic over the partitioned table: p_parent is partitioned by RANGE on p_column in whole UTC
-- days, and partitions are named <p_parent>_pYYYYMMDD; p_lock is the table's advisory lock key.
CREATE FUNCTION "aihub_ensure_day_partitions"(p_parent TEXT, p_column TEXT, p_lock BIGINT,
                                              p_from TIMESTAMPTZ, p_to TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  d TIMESTAMPTZ;
  name TEXT;
  created INTEGER := 0;
  locked BOOLEAN := false;
BEGIN
  d := aihub_floor_day(p_from);
  WHILE d < p_to LOOP
    name := p_parent || '_p' || to_char(d AT TIME ZONE 'UTC', 'YYYYMMDD');
    IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relname = name) THEN
      IF NOT locked THEN
        PERFORM pg_advisory_xact_lock(p_lock);
        locked := true;
      END IF;
      -- Re-checked under the lock: another transaction may have created it meanwhile. A query
      -- of pg_class takes a fresh snapshot; to_regclass() would read the session's catalog cache,
      -- which an advisory lock does not refresh.
      IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'public' AND c.relname = name) THEN
        EXECUTE format('CREATE TABLE public.%I (LIKE public.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, p_parent);
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (%I >= %L AND %I < %L)',
                       name, name || '_bounds', p_column, d, p_column, d + interval '24 hours');
        EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                       p_parent, name, d, d + interval '24 hours');
        created := created + 1;
      END IF;
    END IF;
    d := d + interval '24 hours';
  END LOOP;
  RETURN created;
END $$;

CREATE FUNCTION "aihub_ensure_ai_features_partitions"(p_from TIMESTAMPTZ, p_to TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE sql AS $$
  SELECT aihub_ensure_day_partitions('ai_features', 'as_of', 72410017, p_from, p_to)
$$;
