-- Data-quality statistics of each succeeded export, one row per feature, written in the same
-- transaction that marks the export succeeded. count/mean/std/min/max are exact; the quantiles come
-- from the sketch named in `sketch` (a t-digest).
CREATE TABLE "feature_export_statistics" (
    "export_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "feature" TEXT NOT NULL,
    "sketch" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "null_fraction" DOUBLE PRECISION,
    "mean" DOUBLE PRECISION,
    "std" DOUBLE PRECISION,
    "min" DOUBLE PRECISION,
    "max" DOUBLE PRECISION,
    "p1" DOUBLE PRECISION,
    "p5" DOUBLE PRECISION,
    "p25" DOUBLE PRECISION,
    "p50" DOUBLE PRECISION,
    "p75" DOUBLE PRECISION,
    "p95" DOUBLE PRECISION,
    "p99" DOUBLE PRECISION,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feature_export_statistics_pkey" PRIMARY KEY ("export_id", "position"),
    CONSTRAINT "feature_export_statistics_export_id_fkey" FOREIGN KEY ("export_id") REFERENCES "feature_exports"("id") ON DELETE CASCADE
);

-- A model version trained on an export keeps it, and with it the statistics drift is measured
-- against: the export cannot be deleted while a version refers to it (checked at the end of the
-- statement, so deleting a whole project, which cascades to both, still works).
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_export_id_fkey"
    FOREIGN KEY ("export_id") REFERENCES "feature_exports"("id") ON DELETE NO ACTION;
