import type { Materialization, MaterializationRepository, OnlineSetKey } from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';

interface MaterializationRow {
  project_id: string;
  feature_set: string;
  feature_set_version: number;
  metric: string;
  enabled: boolean;
  created_by: string;
  created_at: Date;
  last_run_at: Date | null;
  last_as_of: Date | null;
  last_entities: number | null;
  last_error: string | null;
}

const columns = `project_id, feature_set, feature_set_version, metric, enabled, created_by, created_at,
  last_run_at, last_as_of, last_entities, last_error`;

const qualifiedColumns = columns
  .split(',')
  .map((column) => `m.${column.trim()}`)
  .join(', ');

function toMaterialization(row: MaterializationRow): Materialization {
  return {
    projectId: row.project_id,
    featureSet: row.feature_set,
    version: row.feature_set_version,
    metric: row.metric,
    enabled: row.enabled,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastRunAt: row.last_run_at,
    lastAsOf: row.last_as_of,
    lastEntities: row.last_entities,
    lastError: row.last_error,
  };
}

/** The registry of materialized (set, version, metric)s, over raw SQL (conditional claims). */
export class PgMaterializationRepository implements MaterializationRepository {
  constructor(private readonly pool: pg.Pool) {}

  private async query(sql: string, params: unknown[]): Promise<MaterializationRow[]> {
    try {
      return (await this.pool.query<MaterializationRow>(sql, params)).rows;
    } catch (error) {
      translateDbError(error);
    }
  }

  async upsert(input: OnlineSetKey & { enabled: boolean; createdBy: string }): Promise<Materialization> {
    const rows = await this.query(
      `INSERT INTO feature_materializations (project_id, feature_set, feature_set_version, metric, enabled, created_by)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (project_id, feature_set, feature_set_version, metric)
       DO UPDATE SET enabled = EXCLUDED.enabled, dirty = true
       RETURNING ${columns}`,
      [input.projectId, input.featureSet, input.version, input.metric, input.enabled, input.createdBy],
    );
    return toMaterialization(rows[0] as MaterializationRow);
  }

  async list(projectId: string): Promise<Materialization[]> {
    const rows = await this.query(
      `SELECT ${columns} FROM feature_materializations WHERE project_id = $1
        ORDER BY feature_set, feature_set_version, metric`,
      [projectId],
    );
    return rows.map(toMaterialization);
  }

  /** Every project's enabled registrations with the project's name (for metrics). */
  async listEnabled(): Promise<(Materialization & { projectName: string })[]> {
    const rows = await this.query(
      `SELECT ${qualifiedColumns}, p.name AS project_name
         FROM feature_materializations m JOIN projects p ON p.id = m.project_id
        WHERE m.enabled ORDER BY p.name, m.feature_set, m.feature_set_version, m.metric`,
      [],
    );
    return rows.map((row) => ({
      ...toMaterialization(row),
      projectName: (row as MaterializationRow & { project_name: string }).project_name,
    }));
  }

  async claimDue(hour: Date): Promise<Materialization[]> {
    // Clearing the flag when claiming (not after the run) means a refresh landing mid-run sets it
    // again, so that change is picked up by the next run instead of being lost.
    const rows = await this.query(
      `UPDATE feature_materializations SET dirty = false
        WHERE enabled AND (dirty OR last_as_of IS NULL OR last_as_of < $1 OR last_error IS NOT NULL)
       RETURNING ${columns}`,
      [hour],
    );
    return rows.map(toMaterialization);
  }

  async markChanged(projectId?: string): Promise<void> {
    await this.query(
      `UPDATE feature_materializations SET dirty = true
        WHERE enabled AND NOT dirty AND ($1::uuid IS NULL OR project_id = $1::uuid)`,
      [projectId ?? null],
    );
  }

  async recordRun(
    key: OnlineSetKey,
    result: { asOf: Date; entities: number; error: string | null; at: Date },
  ): Promise<void> {
    await this.query(
      `UPDATE feature_materializations
          SET last_run_at = $5, last_error = $8,
              last_as_of = CASE WHEN $8::text IS NULL THEN $6 ELSE last_as_of END,
              last_entities = CASE WHEN $8::text IS NULL THEN $7 ELSE last_entities END
        WHERE project_id = $1 AND feature_set = $2 AND feature_set_version = $3 AND metric = $4`,
      [
        key.projectId,
        key.featureSet,
        key.version,
        key.metric,
        result.at,
        result.asOf,
        result.entities,
        result.error,
      ],
    );
  }
}
