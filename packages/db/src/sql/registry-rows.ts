import type {
  ArtifactFormat,
  AuditAction,
  Metadata,
  Metrics,
  ModelAuditEvent,
  ModelStage,
  ModelVersion,
  Params,
  RegistrationStatus,
} from '@aihub/core';

/* Row shapes of the registry tables as pg returns them, and their mapping to domain types. */

/** Every column a ModelVersion needs; `v` is model_versions, `m` registered_models. */
export const VERSION_COLUMNS = `
  v.id, v.project_id, v.model_id, m.name AS model_name, v.version, v.status, v.stage, v.format,
  v.size_bytes, v.sha256, v.declared_size_bytes, v.declared_sha256, v.artifact_key,
  v.metrics, v.params, v.metadata, v.feature_set, v.feature_set_version, v.target_metric,
  v.export_id, v.training_from, v.training_to, v.error, v.created_by, v.created_at, v.ready_at,
  ARRAY(SELECT a.alias FROM model_aliases a WHERE a.version_id = v.id ORDER BY a.alias) AS aliases`;

export interface VersionRow {
  id: string;
  project_id: string;
  model_id: string;
  model_name: string;
  version: number;
  status: RegistrationStatus;
  stage: ModelStage;
  format: ArtifactFormat;
  // BIGINT columns arrive as strings from pg.
  size_bytes: string | null;
  sha256: string | null;
  declared_size_bytes: string | null;
  declared_sha256: string | null;
  artifact_key: string | null;
  metrics: Metrics;
  params: Params;
  metadata: Metadata;
  feature_set: string | null;
  feature_set_version: number | null;
  target_metric: string | null;
  export_id: string | null;
  training_from: Date | null;
  training_to: Date | null;
  error: string | null;
  created_by: string;
  created_at: Date;
  ready_at: Date | null;
  aliases: string[];
}

const toNumber = (value: string | null): number | null => (value === null ? null : Number(value));

export function toModelVersion(row: VersionRow): ModelVersion {
  return {
    id: row.id,
    projectId: row.project_id,
    modelId: row.model_id,
    modelName: row.model_name,
    version: row.version,
    status: row.status,
    stage: row.stage,
    format: row.format,
    sizeBytes: toNumber(row.size_bytes),
    sha256: row.sha256,
    declaredSizeBytes: toNumber(row.declared_size_bytes),
    declaredSha256: row.declared_sha256,
    artifactKey: row.artifact_key,
    metrics: row.metrics,
    params: row.params,
    metadata: row.metadata,
    lineage: {
      featureSet: row.feature_set,
      featureSetVersion: row.feature_set_version,
      targetMetric: row.target_metric,
      exportId: row.export_id,
      trainingFrom: row.training_from,
      trainingTo: row.training_to,
    },
    aliases: row.aliases,
    error: row.error,
    createdBy: row.created_by,
    createdAt: row.created_at,
    readyAt: row.ready_at,
  };
}

export interface AuditRow {
  id: string;
  model_name: string;
  version_id: string | null;
  version: number | null;
  action: AuditAction;
  actor: string;
  from_value: string | null;
  to_value: string | null;
  comment: string | null;
  created_at: Date;
}

export function toAuditEvent(row: AuditRow): ModelAuditEvent {
  return {
    id: String(row.id),
    modelName: row.model_name,
    versionId: row.version_id,
    version: row.version,
    action: row.action,
    actor: row.actor,
    from: row.from_value,
    to: row.to_value,
    comment: row.comment,
    at: row.created_at,
  };
}
