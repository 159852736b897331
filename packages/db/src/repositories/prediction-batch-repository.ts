import {
  DomainError,
  type NewPredictionBatch,
  type PredictionBatch,
  type PredictionBatchListFilter,
  PredictionBatchParamsSchema,
  type PredictionBatchRepository,
  type SpineRow,
} from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';
import { batchColumns, batchTransitions, insertBatchSql, listBatchesSql } from '../sql/prediction-batches.js';
import type { JobRow } from './job-row.js';

interface BatchRow extends JobRow {
  model_version_id: string;
  model_name: string;
  model_version: number;
}

function toBatch(row: BatchRow): PredictionBatch {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    model: { id: row.model_version_id, name: row.model_name, version: row.model_version },
    params: PredictionBatchParamsSchema.parse(row.params),
    rowsWritten: row.rows_written,
    totalRows: row.total_rows,
    bytes: row.bytes,
    sha256: row.sha256,
    objectKey: row.object_key,
    error: row.error,
    warnings: row.warnings,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    heartbeatAt: row.heartbeat_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Prediction batch records over raw SQL; the status transitions are the exports' (sql/job-records.ts). */
export class PgPredictionBatchRepository implements PredictionBatchRepository {
  constructor(private readonly pool: pg.Pool) {}

  private async rows(sql: string, params: unknown[]): Promise<BatchRow[]> {
    try {
      return (await this.pool.query<BatchRow>(sql, params)).rows;
    } catch (error) {
      translateDbError(error);
    }
  }

  async create(input: NewPredictionBatch): Promise<PredictionBatch> {
    const spine = input.spine?.map((s) => [s.entityId, s.asOf.getTime()]) ?? null;
    const [row] = await this.rows(insertBatchSql, [
      input.projectId,
      input.model.id,
      input.model.name,
      input.model.version,
      JSON.stringify(input.params),
      input.totalRows,
      spine === null ? null : JSON.stringify(spine),
      input.createdBy,
      [...(input.warnings ?? [])],
    ]);
    return toBatch(row as BatchRow);
  }

  async get(projectId: string, id: string): Promise<PredictionBatch> {
    // A malformed id cannot exist: NOT_FOUND rather than a failed uuid cast.
    const [row] = UUID.test(id)
      ? await this.rows(`SELECT ${batchColumns} FROM prediction_batches WHERE project_id = $1 AND id = $2`, [
          projectId,
          id,
        ])
      : [];
    if (!row) throw DomainError.notFound(`Prediction batch '${id}'`);
    return toBatch(row);
  }

  async list(projectId: string, filter: PredictionBatchListFilter) {
    if (filter.cursor !== undefined && !UUID.test(filter.cursor)) {
      throw DomainError.badRequest('cursor: not a batch id', { cursor: ['not a batch id'] });
    }
    const rows = await this.rows(listBatchesSql, [
      projectId,
      filter.status ?? null,
      filter.model ?? null,
      filter.createdFrom ?? null,
      filter.createdTo ?? null,
      filter.cursor ?? null,
      filter.limit + 1,
    ]);
    const items = rows.slice(0, filter.limit).map(toBatch);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
  }

  async cancel(projectId: string, id: string): Promise<PredictionBatch> {
    const current = await this.get(projectId, id);
    const [row] = await this.rows(batchTransitions.cancel, [projectId, id]);
    if (row) return toBatch(row);
    const now = await this.get(projectId, id).catch(() => current);
    throw DomainError.conflict(
      `Prediction batch '${id}' already ${now.status}; only queued or running batches can be cancelled`,
    );
  }

  async claim(id: string): Promise<PredictionBatch | null> {
    const [row] = await this.rows(batchTransitions.claim, [id]);
    return row ? toBatch(row) : null;
  }

  async spine(id: string): Promise<SpineRow[]> {
    const result = await this.pool
      .query<{ spine: [string, number][] | null }>('SELECT spine FROM prediction_batches WHERE id = $1', [id])
      .catch(translateDbError);
    return (result.rows[0]?.spine ?? []).map(([entityId, ms]) => ({ entityId, asOf: new Date(ms) }));
  }

  async heartbeat(id: string, rowsWritten: number): Promise<boolean> {
    const result = await this.pool
      .query(batchTransitions.heartbeat, [id, rowsWritten])
      .catch(translateDbError);
    return (result.rowCount ?? 0) > 0;
  }

  async succeed(
    id: string,
    result: { rowsWritten: number; bytes: number; sha256: string; objectKey: string },
  ): Promise<boolean> {
    const params = [id, result.rowsWritten, result.bytes, result.sha256, result.objectKey];
    const updated = await this.pool.query(batchTransitions.succeed, params).catch(translateDbError);
    return (updated.rowCount ?? 0) > 0;
  }

  async fail(id: string, error: string): Promise<void> {
    await this.pool.query(batchTransitions.fail, [id, error]).catch(translateDbError);
  }

  async failStale(before: Date, reason: string): Promise<PredictionBatch[]> {
    return (await this.rows(batchTransitions.failStale, [before, reason])).map(toBatch);
  }

  /** Batch records per status, all projects (queue depth for metrics). */
  async countByStatus(): Promise<Record<string, number>> {
    const result = await this.pool
      .query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM prediction_batches GROUP BY status',
      )
      .catch(translateDbError);
    return Object.fromEntries(result.rows.map((row) => [row.status, row.n]));
  }
}
