import { type DeletingVersion, DomainError, type ModelVersion, type ModelVersionRef } from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';
import { recordAudit } from '../sql/registry-audit.js';
import { label, lockVersion, subjectOf } from '../sql/registry-writes.js';

/** Transactions, aliases and deletion: the registry's writes that are not about versions' creation or stage. */
export abstract class ModelRegistryWrites {
  constructor(protected readonly pool: pg.Pool) {}

  abstract get(
    projectId: string,
    ref: ModelVersionRef,
    options?: { includeDeleting?: boolean },
  ): Promise<ModelVersion>;

  protected async run<T>(work: () => Promise<T>, conflictMessage?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      translateDbError(error, conflictMessage);
    }
  }

  protected async transaction<T>(
    work: (client: pg.PoolClient) => Promise<T>,
    conflictMessage?: string,
  ): Promise<T> {
    return this.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    }, conflictMessage);
  }

  /** Points the alias at the version, moving it from wherever it was in the same transaction. */
  async setAlias(projectId: string, versionId: string, alias: string, actor: string, comment: string | null) {
    await this.transaction(async (client) => {
      const v = await lockVersion(client, projectId, versionId);
      if (v.status !== 'ready') {
        throw new DomainError(
          'PRECONDITION_FAILED',
          `${label(v)} is ${v.status}; aliases point at ready versions`,
        );
      }
      const previous = await client.query<{ version: number }>(
        `SELECT v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id
         WHERE a.model_id = $1 AND a.alias = $2`,
        [v.model_id, alias],
      );
      await client.query(
        `INSERT INTO model_aliases (model_id, alias, version_id, project_id, updated_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model_id, alias) DO UPDATE SET version_id = EXCLUDED.version_id,
           updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [v.model_id, alias, versionId, projectId, actor],
      );
      const from = previous.rows[0] ? `${alias}@v${previous.rows[0].version}` : null;
      await recordAudit(client, {
        ...subjectOf(projectId, v),
        action: 'alias_set',
        actor,
        from,
        to: `${alias}@v${v.version}`,
        comment,
      });
    });
    return this.get(projectId, { id: versionId });
  }

  async removeAlias(
    projectId: string,
    modelName: string,
    alias: string,
    actor: string,
    comment: string | null,
  ) {
    await this.transaction(async (client) => {
      const removed = await client.query<{ model_id: string; version_id: string; version: number }>(
        `DELETE FROM model_aliases a USING registered_models m, model_versions v
         WHERE a.model_id = m.id AND v.id = a.version_id AND m.project_id = $1 AND m.name = $2 AND a.alias = $3
         RETURNING a.model_id, a.version_id, v.version`,
        [projectId, modelName, alias],
      );
      const row = removed.rows[0];
      if (!row) throw DomainError.notFound(`Alias '${alias}' of model '${modelName}'`);
      await recordAudit(client, {
        projectId,
        modelId: row.model_id,
        modelName,
        versionId: row.version_id,
        version: row.version,
        action: 'alias_removed',
        actor,
        from: `${alias}@v${row.version}`,
        comment,
      });
    });
  }

  async beginDelete(
    projectId: string,
    versionId: string,
    input: { force: boolean; actorIsAdmin: boolean; actor: string; comment: string | null },
  ): Promise<DeletingVersion> {
    return this.transaction(async (client) => {
      const v = await lockVersion(client, projectId, versionId);
      const deleting = { id: versionId, modelName: v.model_name, version: v.version };
      if (v.status === 'deleting') return deleting; // a retry of a delete that stopped halfway
      if (v.stage === 'production') {
        if (!input.force) {
          throw new DomainError(
            'PRECONDITION_FAILED',
            `${label(v)} is in production; pass force to delete it`,
          );
        }
        if (!input.actorIsAdmin)
          throw DomainError.forbidden('Deleting a production version needs the admin role');
      }
      // Archived while deleting, so the model can get a new production version before storage is freed.
      await client.query(`UPDATE model_versions SET status = 'deleting', stage = 'archived' WHERE id = $1`, [
        versionId,
      ]);
      const aliases = await client.query<{ alias: string }>(
        'DELETE FROM model_aliases WHERE version_id = $1 RETURNING alias',
        [versionId],
      );
      const freed = aliases.rows.map((r) => r.alias);
      const note = freed.length > 0 ? `aliases removed: ${freed.join(', ')}` : null;
      await recordAudit(client, {
        ...subjectOf(projectId, v),
        action: 'deleted',
        actor: input.actor,
        from: `${v.stage}/${v.status}`,
        comment: [input.comment, note].filter(Boolean).join('; ') || null,
      });
      return deleting;
    });
  }

  async finishDelete(projectId: string, versionId: string): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `DELETE FROM model_versions WHERE id = $1 AND project_id = $2 AND status = 'deleting'`,
        [versionId, projectId],
      ),
    );
  }
}
