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

-- Daily partitions, created as for ai_features (see aihub_ensure_day_partitions).
CREATE FUNCTION "aihub_ensure_prediction_log_partitions"(p_from TIMESTAMPTZ, p_to TIMESTAMPTZ)
RETURNS INTEGER LANGUAGE sql AS $$
  SELECT aihub_ensure_day_partitions('prediction_log', 'logged_at', 72410021, p_from, p_to)
$$;
