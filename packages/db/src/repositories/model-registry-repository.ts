import {
  type AbandonedUpload,
  DomainError,
  type ModelAuditEvent,
  type ModelListQuery,
  type ModelRegistryRepository,
  type ModelStage,
  type ModelVersion,
  type ModelVersionPage,
  type ModelVersionRef,
  type NewModelVersion,
  type UploadClaim,
} from '@aihub/core';
import type pg from 'pg';
import { AUDIT_QUERY, recordAudit } from '../sql/registry-audit.js';
import { buildListQuery } from '../sql/registry-list.js';
import {
  type AuditRow,
  toAuditEvent,
  toModelVersion,
  VERSION_COLUMNS,
  type VersionRow,
} from '../sql/registry-rows.js';
import {
  assertLineageExists,
  changeStage,
  insertPendingVersion,
  label,
  lockVersion,
  subjectOf,
} from '../sql/registry-writes.js';
import { ModelRegistryWrites } from './model-registry-writes.js';

/** The registry over the shared pg pool (see src/sql/registry-*.ts for why its SQL is raw). */
export class PgModelRegistryRepository extends ModelRegistryWrites implements ModelRegistryRepository {
  constructor(pool: pg.Pool) {
    super(pool);
  }

  async createVersion(input: NewModelVersion): Promise<ModelVersion> {
    const id = await this.transaction(async (client) => {
      await assertLineageExists(client, input);
      return insertPendingVersion(client, input);
    });
    return this.get(input.projectId, { id });
  }

  async claimUpload(projectId: string, versionId: string, leaseMs: number): Promise<UploadClaim> {
    // upload_started_at (millisecond precision) is the claim's token; an expired lease, or one
    // from before leases existed (NULL), is taken over.
    const claimed = await this.run(() =>
      this.pool.query<{ token: string }>(
        `UPDATE model_versions
            SET upload_started_at = now(), upload_lease_until = now() + $3 * interval '1 millisecond'
          WHERE id = $1 AND project_id = $2 AND status = 'pending'
            AND (upload_started_at IS NULL OR upload_lease_until IS NULL OR upload_lease_until < now())
          RETURNING to_char(upload_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS token`,
        [versionId, projectId, leaseMs],
      ),
    );
    const version = await this.get(projectId, { id: versionId });
    const token = claimed.rows[0]?.token;
    if (token === undefined) {
      const why = version.status === 'pending' ? 'another upload is in progress' : `it is ${version.status}`;
      throw DomainError.conflict(`Cannot upload to ${version.modelName} v${version.version}: ${why}`);
    }
    return { version, token };
  }

  async renewUpload(projectId: string, versionId: string, claim: string, leaseMs: number): Promise<boolean> {
    const renewed = await this.run(() =>
      this.pool.query(
        `UPDATE model_versions SET upload_lease_until = now() + $4 * interval '1 millisecond'
          WHERE id = $1 AND project_id = $2 AND status = 'pending' AND upload_started_at = $3::timestamptz`,
        [versionId, projectId, claim, leaseMs],
      ),
    );
    return renewed.rowCount === 1;
  }

  async failExpiredUploads(reason: string, actor: string): Promise<AbandonedUpload[]> {
    return this.transaction(async (client) => {
      const expired = await client.query<{
        id: string;
        project_id: string;
        model_id: string;
        model_name: string;
        version: number;
        format: string;
      }>(
        `UPDATE model_versions v SET status = 'failed', error = $1
           FROM registered_models m
          WHERE m.id = v.model_id AND v.status = 'pending' AND v.upload_started_at IS NOT NULL
            AND (v.upload_lease_until IS NULL OR v.upload_lease_until < now())
          RETURNING v.id, v.project_id, v.model_id, m.name AS model_name, v.version, v.format`,
        [reason],
      );
      for (const row of expired.rows) {
        await recordAudit(client, {
          projectId: row.project_id,
          modelId: row.model_id,
          modelName: row.model_name,
          versionId: row.id,
          version: row.version,
          action: 'failed',
          actor,
          from: 'pending',
          to: 'failed',
          comment: reason,
        });
      }
      return expired.rows.map((row) => ({
        projectId: row.project_id,
        id: row.id,
        modelName: row.model_name,
        version: row.version,
        format: row.format,
      }));
    });
  }

  async markReady(
    projectId: string,
    versionId: string,
    artifact: { sizeBytes: number; sha256: string; artifactKey: string },
    actor: string,
    claim?: string,
  ): Promise<ModelVersion> {
    await this.transaction(async (client) => {
      const v = await lockVersion(client, projectId, versionId);
      if (v.status !== 'pending') throw DomainError.conflict(`${label(v)} is ${v.status}, not pending`);
      const updated = await client.query(
        `UPDATE model_versions SET status = 'ready', size_bytes = $2, sha256 = $3, artifact_key = $4, ready_at = now()
         WHERE id = $1 AND ($5::timestamptz IS NULL OR upload_started_at = $5::timestamptz)`,
        [versionId, artifact.sizeBytes, artifact.sha256, artifact.artifactKey, claim ?? null],
      );
      if (updated.rowCount === 0)
        throw DomainError.conflict(`${label(v)}: this upload's claim expired and another upload took over`);
      await recordAudit(client, {
        ...subjectOf(projectId, v),
        action: 'ready',
        actor,
        from: 'pending',
        to: 'ready',
        comment: `${artifact.sizeBytes} bytes, sha256 ${artifact.sha256}`,
      });
    });
    return this.get(projectId, { id: versionId });
  }

  async markFailed(
    projectId: string,
    versionId: string,
    reason: string,
    actor: string,
    claim?: string,
  ): Promise<void> {
    await this.transaction(async (client) => {
      const v = await lockVersion(client, projectId, versionId);
      if (v.status !== 'pending') return;
      const updated = await client.query(
        `UPDATE model_versions SET status = 'failed', error = $2
          WHERE id = $1 AND ($3::timestamptz IS NULL OR upload_started_at = $3::timestamptz)`,
        [versionId, reason, claim ?? null],
      );
      if (updated.rowCount === 0) return;
      await recordAudit(client, {
        ...subjectOf(projectId, v),
        action: 'failed',
        actor,
        from: 'pending',
        to: 'failed',
        comment: reason,
      });
    });
  }

  async get(
    projectId: string,
    ref: ModelVersionRef,
    options: { includeDeleting?: boolean } = {},
  ): Promise<ModelVersion> {
    const [condition, values, what] = refCondition(ref);
    const visible = options.includeDeleting ? 'true' : `v.status <> 'deleting'`;
    // Stage lookups answer with the newest ready version in that stage.
    const text = `SELECT ${VERSION_COLUMNS}
      FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE v.project_id = $1 AND ${visible} AND ${condition}
      ORDER BY v.version DESC LIMIT 1`;
    const result = await this.run(() => this.pool.query<VersionRow>(text, [projectId, ...values]));
    const row = result.rows[0];
    if (!row) throw DomainError.notFound(what);
    return toModelVersion(row);
  }

  async list(projectId: string, query: ModelListQuery): Promise<ModelVersionPage> {
    const built = buildListQuery(projectId, query);
    const result = await this.run(() => this.pool.query<VersionRow>(built.text, built.values));
    const rows = result.rows.map(toModelVersion);
    return { items: rows.slice(0, query.limit), nextCursor: built.nextCursor(rows) };
  }

  async promote(
    projectId: string,
    versionId: string,
    input: { to: ModelStage; demoteTo: 'archived' | 'staging'; actor: string; comment: string | null },
  ): Promise<{ version: ModelVersion; demoted: ModelVersion | null }> {
    const demotedId = await this.transaction(async (client) => {
      const v = await lockVersion(client, projectId, versionId);
      if (v.status === 'deleting') throw DomainError.notFound(`Model version '${versionId}'`);
      // Asking again for the stage a version already has is a no-op, so clients may retry safely.
      if (v.stage === input.to) return null;
      return changeStage(client, projectId, v, input);
    }, `Another version of this model went to production at the same moment; retry`);
    const version = await this.get(projectId, { id: versionId });
    const demoted = demotedId ? await this.get(projectId, { id: demotedId }) : null;
    return { version, demoted };
  }

  async history(
    projectId: string,
    filter: { name: string; version?: number | undefined },
  ): Promise<ModelAuditEvent[]> {
    const model = await this.run(() =>
      this.pool.query<{ id: string }>(
        'SELECT id FROM registered_models WHERE project_id = $1 AND name = $2',
        [projectId, filter.name],
      ),
    );
    const modelId = model.rows[0]?.id;
    if (!modelId) throw DomainError.notFound(`Model '${filter.name}'`);
    const rows = await this.run(() =>
      this.pool.query<AuditRow>(AUDIT_QUERY, [projectId, modelId, filter.version ?? null]),
    );
    return rows.rows.map(toAuditEvent);
  }
}

function refCondition(ref: ModelVersionRef): [string, unknown[], string] {
  if ('id' in ref) return ['v.id = $2', [ref.id], `Model version '${ref.id}'`];
  if ('version' in ref)
    return [
      'm.name = $2 AND v.version = $3',
      [ref.name, ref.version],
      `Model '${ref.name}' version ${ref.version}`,
    ];
  if ('stage' in ref) {
    return [
      `m.name = $2 AND v.stage = $3::model_stage AND v.status = 'ready'`,
      [ref.name, ref.stage],
      `A ready ${ref.stage} version of model '${ref.name}'`,
    ];
  }
  return [
    'm.name = $2 AND EXISTS (SELECT 1 FROM model_aliases a WHERE a.version_id = v.id AND a.alias = $3)',
    [ref.name, ref.alias],
    `Alias '${ref.alias}' of model '${ref.name}'`,
  ];
}
