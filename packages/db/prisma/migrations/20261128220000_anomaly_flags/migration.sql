-- anomaly_flags: the hours the scheduled anomaly job flagged, per opted-in model version and entity
-- (the actual hourly mean, what the model expected, the residual, the rolling 24 h standard
-- deviation it was judged by and the threshold). Low volume (flags only), so retention
-- (ANOMALY_RETENTION_DAYS) deletes rows by hour instead of dropping partitions.
-- One row per (version, entity, hour): a re-run of the same hour replaces its rows, never adds.
CREATE TABLE "anomaly_flags" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "entity_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "actual" DOUBLE PRECISION NOT NULL,
    "expected" DOUBLE PRECISION NOT NULL,
    "residual" DOUBLE PRECISION NOT NULL,
    "std" DOUBLE PRECISION NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "anomaly_flags_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "anomaly_flags_hour_whole" CHECK (date_trunc('hour', "hour") = "hour"),
    CONSTRAINT "anomaly_flags_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
    CONSTRAINT "anomaly_flags_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "anomaly_flags_model_version_id_entity_id_hour_key" ON "anomaly_flags"("model_version_id", "entity_id", "hour");
-- anomalies.list: a project's flags, newest hour first (cursor on (hour, id)); retention by hour.
CREATE INDEX "anomaly_flags_project_id_hour_id_idx" ON "anomaly_flags"("project_id", "hour" DESC, "id" DESC);
CREATE INDEX "anomaly_flags_hour_idx" ON "anomaly_flags"("hour");
