import {
  assertTransition,
  DomainError,
  isPredefinedFeatureSet,
  type ModelStage,
  type NewModelVersion,
  type RegistrationStatus,
} from '@aihub/core';
import type pg from 'pg';
import { recordAudit } from './registry-audit.js';

/*
 * The registry's multi-statement changes, each run inside one transaction by the repository:
 * raw SQL because they rely on row locks, RETURNING and an upsert that bumps a counter.
 */

/** Lineage must point at something that exists: a predefined or stored feature set, an export. */
export async function assertLineageExists(client: pg.PoolClient, input: NewModelVersion): Promise<void> {
  const { featureSet, featureSetVersion, exportId } = input.lineage;
  if (featureSet !== null && featureSetVersion !== null) {
    const predefined = isPredefinedFeatureSet(featureSet) && featureSetVersion === 1;
    const stored =
      predefined ||
      ((
        await client.query(
          'SELECT 1 FROM feature_sets WHERE project_id = $1 AND name = $2 AND version = $3',
          [input.projectId, featureSet, featureSetVersion],
        )
      ).rowCount ?? 0) > 0;
    if (!stored) {
      const reason = `feature set '${featureSet}' version ${featureSetVersion} does not exist in this project`;
      throw DomainError.badRequest(`Invalid lineage: ${reason}`, { 'lineage.featureSet': [reason] });
    }
  }
  if (exportId !== null) {
    const found = await client.query('SELECT 1 FROM feature_exports WHERE id = $1 AND project_id = $2', [
      exportId,
      input.projectId,
    ]);
    if (found.rowCount === 0) {
      const reason = `export '${exportId}' does not exist in this project`;
      throw DomainError.badRequest(`Invalid lineage: ${reason}`, { 'lineage.exportId': [reason] });
    }
  }
}

/** Creates the model if needed and takes the next version number: the row lock of the upsert serializes registrations. */
export async function insertPendingVersion(client: pg.PoolClient, input: NewModelVersion): Promise<string> {
  const model = await client.query<{ id: string; latest_version: number }>(
    `INSERT INTO registered_models (project_id, name, description, tags, latest_version)
     VALUES ($1, $2, $3, $4::jsonb, 1)
     ON CONFLICT (project_id, name) DO UPDATE SET
       latest_version = registered_models.latest_version + 1,
       description = COALESCE(EXCLUDED.description, registered_models.description),
       tags = registered_models.tags || EXCLUDED.tags,
       updated_at = now()
     RETURNING id, latest_version`,
    [input.projectId, input.name, input.description ?? null, JSON.stringify(input.tags ?? {})],
  );
  const { id: modelId, latest_version: version } = model.rows[0]!;
  const l = input.lineage;
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO model_versions
       (project_id, model_id, version, format, declared_size_bytes, declared_sha256, metrics, params, metadata,
        feature_set, feature_set_version, target_metric, export_id, training_from, training_to, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, $16)
     RETURNING id`,
    [
      input.projectId,
      modelId,
      version,
      input.format,
      input.declaredSizeBytes,
      input.declaredSha256,
      JSON.stringify(input.metrics),
      JSON.stringify(input.params),
      JSON.stringify(input.metadata),
      l.featureSet,
      l.featureSetVersion,
      l.targetMetric,
      l.exportId,
      l.trainingFrom,
      l.trainingTo,
      input.actor,
    ],
  );
  const versionId = inserted.rows[0]!.id;
  await recordAudit(client, {
    projectId: input.projectId,
    modelId,
    modelName: input.name,
    versionId,
    version,
    action: 'registered',
    actor: input.actor,
    to: 'pending',
    comment: input.comment ?? null,
  });
  return versionId;
}

export interface LockedVersion {
  id: string;
  model_id: string;
  model_name: string;
  version: number;
  stage: ModelStage;
  status: RegistrationStatus;
}

/** Locks the version's model row first, so every change to a model's stages and aliases is serialized. */
export async function lockVersion(
  client: pg.PoolClient,
  projectId: string,
  versionId: string,
): Promise<LockedVersion> {
  const model = await client.query<{ model_id: string }>(
    'SELECT model_id FROM model_versions WHERE id = $1 AND project_id = $2',
    [versionId, projectId],
  );
  const modelId = model.rows[0]?.model_id;
  if (!modelId) throw DomainError.notFound(`Model version '${versionId}'`);
  await client.query('SELECT 1 FROM registered_models WHERE id = $1 FOR UPDATE', [modelId]);
  const row = await client.query<LockedVersion>(
    `SELECT v.id, v.model_id, m.name AS model_name, v.version, v.stage, v.status
     FROM model_versions v JOIN registered_models m ON m.id = v.model_id
     WHERE v.id = $1 FOR UPDATE OF v`,
    [versionId],
  );
  const locked = row.rows[0];
  if (!locked) throw DomainError.notFound(`Model version '${versionId}'`);
  return locked;
}

/** The audit fields that name a locked version: who it is, in which model and project. */
export const subjectOf = (projectId: string, v: LockedVersion) => ({
  projectId,
  modelId: v.model_id,
  modelName: v.model_name,
  versionId: v.id,
  version: v.version,
});

export const label = (v: Pick<LockedVersion, 'model_name' | 'version'>) => `${v.model_name} v${v.version}`;

/** Moves a locked version to `to`, demoting the current production version when promoting. Returns the demoted id. */
export async function changeStage(
  client: pg.PoolClient,
  projectId: string,
  v: LockedVersion,
  input: { to: ModelStage; demoteTo: 'archived' | 'staging'; actor: string; comment: string | null },
): Promise<string | null> {
  assertTransition(v.stage, input.to);
  if (input.to === 'production' && v.status !== 'ready') {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${label(v)} is ${v.status}; only ready versions go to production`,
    );
  }
  const audit = { projectId, modelId: v.model_id, modelName: v.model_name, actor: input.actor };
  let demoted: string | null = null;
  if (input.to === 'production') {
    const previous = await client.query<{ id: string; version: number }>(
      `UPDATE model_versions SET stage = $2 WHERE model_id = $1 AND stage = 'production' RETURNING id, version`,
      [v.model_id, input.demoteTo],
    );
    for (const p of previous.rows) {
      demoted = p.id;
      const comment = `replaced by v${v.version}${input.comment ? `: ${input.comment}` : ''}`;
      await recordAudit(client, {
        ...audit,
        versionId: p.id,
        version: p.version,
        action: 'stage_changed',
        from: 'production',
        to: input.demoteTo,
        comment,
      });
    }
  }
  await client.query('UPDATE model_versions SET stage = $2 WHERE id = $1', [v.id, input.to]);
  await recordAudit(client, {
    ...audit,
    versionId: v.id,
    version: v.version,
    action: 'stage_changed',
    from: v.stage,
    to: input.to,
    comment: input.comment,
  });
  return demoted;
}
