-- prediction_batches: batch predictions (predictions.batch), a durable job like a feature export
-- (same statuses, heartbeat and sweep) that writes one Parquet object of entity_id, as_of,
-- prediction, model_version (+ the features when asked) to the exports bucket.
--
-- The model version is resolved once, when the batch is created, and recorded here by id, name and
-- number. No foreign key to model_versions: the record (and the file it describes) stays true to
-- the version that answered even after that version is deleted; a batch still queued then fails
-- with the reason.
CREATE TABLE "prediction_batches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "status" "export_status" NOT NULL DEFAULT 'queued',
    "model_version_id" UUID NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" INTEGER NOT NULL,
    "params" JSONB NOT NULL,
    "spine" JSONB,
    "rows_written" BIGINT NOT NULL DEFAULT 0,
    "total_rows" BIGINT,
    "bytes" BIGINT,
    "sha256" TEXT,
    "object_key" TEXT,
    "error" TEXT,
    "warnings" TEXT[] NOT NULL DEFAULT '{}',
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),

    CONSTRAINT "prediction_batches_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "prediction_batches_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);

CREATE INDEX "prediction_batches_project_id_created_at_idx" ON "prediction_batches"("project_id", "created_at");
CREATE INDEX "prediction_batches_status_heartbeat_at_idx" ON "prediction_batches"("status", "heartbeat_at");
