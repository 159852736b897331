-- Model registry: registered models, their versions (stages, registration status, lineage),
-- aliases, and an append-only audit trail that outlives the versions it describes.

CREATE TYPE "model_stage" AS ENUM ('staging', 'production', 'archived');
CREATE TYPE "model_version_status" AS ENUM ('pending', 'ready', 'failed', 'deleting');
CREATE TYPE "artifact_format" AS ENUM ('onnx', 'joblib', 'pickle', 'json', 'safetensors', 'other');

CREATE TABLE "registered_models" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "tags" JSONB NOT NULL DEFAULT '{}',
    -- The last version number handed out; bumped in the registering transaction, never reused.
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registered_models_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "registered_models_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "registered_models_project_id_name_key" ON "registered_models"("project_id", "name");
CREATE INDEX "registered_models_tags_idx" ON "registered_models" USING GIN ("tags");

CREATE TABLE "model_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "status" "model_version_status" NOT NULL DEFAULT 'pending',
    "stage" "model_stage" NOT NULL DEFAULT 'staging',
    "format" "artifact_format" NOT NULL,
    "size_bytes" BIGINT,
    "sha256" TEXT,
    "declared_size_bytes" BIGINT,
    "declared_sha256" TEXT,
    "artifact_key" TEXT,
    "upload_started_at" TIMESTAMPTZ(3),
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "params" JSONB NOT NULL DEFAULT '{}',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "feature_set" TEXT,
    "feature_set_version" INTEGER,
    "target_metric" TEXT,
    "export_id" UUID,
    "training_from" TIMESTAMPTZ(3),
    "training_to" TIMESTAMPTZ(3),
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ready_at" TIMESTAMPTZ(3),

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "model_versions_version_positive" CHECK ("version" >= 1),
    -- A ready version always has its verified artifact.
    CONSTRAINT "model_versions_ready_has_artifact" CHECK (
        "status" <> 'ready' OR ("artifact_key" IS NOT NULL AND "sha256" IS NOT NULL AND "size_bytes" IS NOT NULL)),
    CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE,
    CONSTRAINT "model_versions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "model_versions_model_id_version_key" ON "model_versions"("model_id", "version");
-- The database itself keeps a model to one production version, whatever the application does.
CREATE UNIQUE INDEX "model_versions_one_production" ON "model_versions"("model_id") WHERE "stage" = 'production';
-- models.list: newest first within a project, keyset-paginated on (created_at, id).
CREATE INDEX "model_versions_project_id_created_at_id_idx" ON "model_versions"("project_id", "created_at" DESC, "id" DESC);
CREATE INDEX "model_versions_project_id_stage_idx" ON "model_versions"("project_id", "stage");

CREATE TABLE "model_aliases" (
    "model_id" UUID NOT NULL,
    "alias" TEXT NOT NULL,
    "version_id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_aliases_pkey" PRIMARY KEY ("model_id", "alias"),
    CONSTRAINT "model_aliases_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE CASCADE,
    CONSTRAINT "model_aliases_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE
);
CREATE INDEX "model_aliases_version_id_idx" ON "model_aliases"("version_id");

CREATE TYPE "model_audit_action" AS ENUM ('registered', 'ready', 'failed', 'stage_changed', 'alias_set', 'alias_removed', 'deleted');

-- No foreign key to model_versions: the tombstone of a deleted version stays.
CREATE TABLE "model_audit_events" (
    -- A sequence, not a uuid: several events of one transaction share a timestamp, and order matters.
    "id" BIGSERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "model_name" TEXT NOT NULL,
    "version_id" UUID,
    "version" INTEGER,
    "action" "model_audit_action" NOT NULL,
    "actor" TEXT NOT NULL,
    "from_value" TEXT,
    "to_value" TEXT,
    "comment" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_audit_events_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "model_audit_events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
);
CREATE INDEX "model_audit_events_model_id_created_at_idx" ON "model_audit_events"("model_id", "created_at");
