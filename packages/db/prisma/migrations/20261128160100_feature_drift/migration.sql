-- Feature drift of production models (features.drift and the scheduled drift job).

-- The fraction of the export's non-null values at or below each quantile p1..p99, as the sketch
-- measured it (exact for features with few distinct values). Drift bins use it as the training
-- weight of each bin, so a discrete feature (hour_of_day) is compared with its true distribution.
-- Empty for statistics written before this column existed (the nominal probabilities are used).
ALTER TABLE "feature_export_statistics" ADD COLUMN "quantile_ranks" DOUBLE PRECISION[] NOT NULL DEFAULT '{}';

-- One drift measurement of a model version: the vectors served for its (set, version, metric)
-- over [window_start, window_end) against the statistics of its training export.
CREATE TABLE "feature_drift_reports" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "export_id" UUID NOT NULL,
    "feature_set" TEXT NOT NULL,
    "feature_set_version" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "window_end" TIMESTAMPTZ(3) NOT NULL,
    "served_vectors" INTEGER NOT NULL,
    "flagged_features" INTEGER NOT NULL,
    "trigger" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feature_drift_reports_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "feature_drift_reports_trigger_check" CHECK ("trigger" IN ('request', 'schedule')),
    CONSTRAINT "feature_drift_reports_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
    CONSTRAINT "feature_drift_reports_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE
);
CREATE INDEX "feature_drift_reports_model_version_id_created_at_idx" ON "feature_drift_reports"("model_version_id", "created_at" DESC);

-- Per feature of a report: PSI over non-null values (null when none was served), null fractions.
CREATE TABLE "feature_drift" (
    "report_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "feature" TEXT NOT NULL,
    "psi" DOUBLE PRECISION,
    "training_null_fraction" DOUBLE PRECISION,
    "served_null_fraction" DOUBLE PRECISION,
    "null_fraction_change" DOUBLE PRECISION,
    "served_count" INTEGER NOT NULL,
    "flagged" BOOLEAN NOT NULL,

    CONSTRAINT "feature_drift_pkey" PRIMARY KEY ("report_id", "position"),
    CONSTRAINT "feature_drift_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "feature_drift_reports"("id") ON DELETE CASCADE
);
