-- Online serving and training-set exports: which (set, version, metric) are materialized into
-- Redis, and what the export worker needs beyond the feature_exports table of the feature store.

-- A registration per (project, set, version, metric) enabled by features.materialize. The scheduled
-- job keeps every enabled one current; `dirty` is set by each aggregate refresh that changed buckets.
CREATE TABLE "feature_materializations" (
    "project_id" UUID NOT NULL,
    "feature_set" TEXT NOT NULL,
    "feature_set_version" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "dirty" BOOLEAN NOT NULL DEFAULT true,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_run_at" TIMESTAMPTZ(3),
    "last_as_of" TIMESTAMPTZ(3),
    "last_entities" INTEGER,
    "last_error" TEXT,

    CONSTRAINT "feature_materializations_pkey" PRIMARY KEY ("project_id", "feature_set", "feature_set_version", "metric"),
    CONSTRAINT "feature_materializations_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);

-- An inline spine (kept apart from params so listings stay small), and the worker's heartbeat: a
-- running export whose heartbeat stops (process killed) is marked failed by the sweeper.
ALTER TABLE "feature_exports" ADD COLUMN "spine" JSONB;
ALTER TABLE "feature_exports" ADD COLUMN "heartbeat_at" TIMESTAMPTZ(3);

CREATE INDEX "feature_exports_project_id_status_idx" ON "feature_exports"("project_id", "status");
CREATE INDEX "feature_exports_status_heartbeat_at_idx" ON "feature_exports"("status", "heartbeat_at");
