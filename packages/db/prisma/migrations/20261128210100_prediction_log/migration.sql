-- prediction_log: every online prediction (predictions.predict), so that training/serving skew and
-- drift can be measured later. Written in batches by each server process (never on the request's
-- path), partitioned by UTC day of logged_at so that retention (PREDICTION_LOG_RETENTION_DAYS) drops
-- whole partitions. Partitions are named prediction_log_pYYYYMMDD and created ahead by
-- aihub_ensure_prediction_log_partitions(), as ai_features' are (create, then ATTACH).
--
-- Columns: when it was logged; the project; the request id and the calling key's name; the model
-- version; the entity; the as-of of the feature vector used; the input vector as the model got it
-- (nulls imputed; NaN where a null was passed through); the output (NULL when not finite).
CREATE TABLE "prediction_log" (
    "id" BIGINT GENERATED ALWAYS AS IDENTITY,
    "logged_at" TIMESTAMPTZ(3) NOT NULL,
    "project_id" UUID NOT NULL,
    "request_id" TEXT NOT NULL,
    "key_name" TEXT NOT NULL,
    "model_version_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "features_as_of" TIMESTAMPTZ(3) NOT NULL,
    "input" DOUBLE PRECISION[] NOT NULL,
    "output" DOUBLE PRECISION,

    CONSTRAINT "prediction_log_pkey" PRIMARY KEY ("logged_at", "id")
) PARTITION BY RANGE ("logged_at");

CREATE INDEX "prediction_log_model_version_id_logged_at_idx" ON "prediction_log"("model_version_id", "logged_at");

CREATE FUNCTION "aihub_ensure_prediction_log_partitions"(p_from TIMESTAMPTZ, p_to TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  d TIMESTAMPTZ;
  name TEXT;
  created INTEGER := 0;
  locked BOOLEAN := false;
BEGIN
  d := aihub_floor_day(p_from);
  WHILE d < p_to LOOP
    name := 'prediction_log_p' || to_char(d AT TIME ZONE 'UTC', 'YYYYMMDD');
    IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relname = name) THEN
      IF NOT locked THEN
        PERFORM pg_advisory_xact_lock(72410021);
        locked := true;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'public' AND c.relname = name) THEN
        EXECUTE format('CREATE TABLE public.%I (LIKE public.prediction_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (logged_at >= %L AND logged_at < %L)',
                       name, name || '_bounds', d, d + interval '24 hours');
        EXECUTE format('ALTER TABLE public.prediction_log ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                       name, d, d + interval '24 hours');
        created := created + 1;
      END IF;
    END IF;
    d := d + interval '24 hours';
  END LOOP;
  RETURN created;
END $$;
