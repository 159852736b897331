import {
  DomainError,
  type ExportListFilter,
  type ExportParams,
  ExportParamsSchema,
  type ExportRepository,
  type ExportStatistics,
  type FeatureExport,
  type FeatureStatistics,
  type NewExport,
  type SpineRow,
  STATISTIC_QUANTILES,
} from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';
import { insertExportStatisticsSql, selectExportStatisticsSql } from '../sql/export-statistics.js';
import {
  cancelExportSql,
  claimExportSql,
  exportColumns,
  failExportSql,
  failStaleExportsSql,
  heartbeatExportSql,
  insertExportSql,
  listExportsSql,
  succeedExportSql,
} from '../sql/exports.js';
import type { JobRow } from './job-row.js';

interface ExportRow extends JobRow {
  feature_set: string;
  feature_set_version: number;
  metric: string;
}

function toExport(row: ExportRow): FeatureExport {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    featureSet: row.feature_set,
    featureSetVersion: row.feature_set_version,
    metric: row.metric,
    params: ExportParamsSchema.parse(row.params) as ExportParams,
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

interface StatisticsRow {
  feature: string;
  sketch: string;
  count: number;
  null_fraction: number | null;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p1: number | null;
  p5: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  p99: number | null;
  quantile_ranks: number[];
  computed_at: Date;
  rows: number;
}

function quantileRanksOf(ranks: readonly number[]): FeatureStatistics['quantileRanks'] {
  if (ranks.length !== STATISTIC_QUANTILES.length) return null;
  return Object.fromEntries(
    STATISTIC_QUANTILES.map(([name], i) => [name, ranks[i] as number]),
  ) as FeatureStatistics['quantileRanks'];
}

function statisticsParams(
  id: string,
  s: { sketch: string; features: readonly FeatureStatistics[] },
): unknown[] {
  const column = <T>(pick: (f: FeatureStatistics) => T) => s.features.map(pick);
  return [
    id,
    s.sketch,
    s.features.map((_, i) => i),
    column((f) => f.feature),
    column((f) => f.count),
    column((f) => f.nullFraction),
    column((f) => f.mean),
    column((f) => f.std),
    column((f) => f.min),
    column((f) => f.max),
    column((f) => f.quantiles.p1),
    column((f) => f.quantiles.p5),
    column((f) => f.quantiles.p25),
    column((f) => f.quantiles.p50),
    column((f) => f.quantiles.p75),
    column((f) => f.quantiles.p95),
    column((f) => f.quantiles.p99),
    column((f) => {
      const ranks = f.quantileRanks;
      return `{${ranks ? STATISTIC_QUANTILES.map(([name]) => ranks[name]).join(',') : ''}}`;
    }),
  ];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Export records over raw SQL: status changes are conditional updates, so racing workers and cancels agree. */
export class PgExportRepository implements ExportRepository {
  constructor(private readonly pool: pg.Pool) {}

  private async query(sql: string, params: unknown[]): Promise<pg.QueryResult<ExportRow>> {
    try {
      return await this.pool.query<ExportRow>(sql, params);
    } catch (error) {
      translateDbError(error);
    }
  }

  async create(input: NewExport): Promise<FeatureExport> {
    const { params } = input;
    const spine = input.spine?.map((s) => [s.entityId, s.asOf.getTime()]) ?? null;
    const result = await this.query(insertExportSql, [
      input.projectId,
      params.featureSet,
      params.version,
      params.metric,
      JSON.stringify(params),
      input.totalRows,
      spine === null ? null : JSON.stringify(spine),
      input.createdBy,
      [...(input.warnings ?? [])],
    ]);
    return toExport(result.rows[0] as ExportRow);
  }

  async get(projectId: string, id: string): Promise<FeatureExport> {
    // A malformed id cannot exist: answer NOT_FOUND rather than letting the uuid cast fail.
    const found = UUID.test(id)
      ? await this.query(`SELECT ${exportColumns} FROM feature_exports WHERE project_id = $1 AND id = $2`, [
          projectId,
          id,
        ])
      : null;
    const row = found?.rows[0];
    if (!row) throw DomainError.notFound(`Export '${id}'`);
    return toExport(row);
  }

  async list(projectId: string, filter: ExportListFilter) {
    if (filter.cursor !== undefined && !UUID.test(filter.cursor)) {
      throw DomainError.badRequest('cursor: not an export id', { cursor: ['not an export id'] });
    }
    const result = await this.query(listExportsSql, [
      projectId,
      filter.status ?? null,
      filter.featureSet ?? null,
      filter.createdFrom ?? null,
      filter.createdTo ?? null,
      filter.cursor ?? null,
      filter.limit + 1,
    ]);
    const items = result.rows.slice(0, filter.limit).map(toExport);
    const nextCursor = result.rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null;
    return { items, nextCursor };
  }

  async cancel(projectId: string, id: string): Promise<FeatureExport> {
    const current = await this.get(projectId, id);
    const result = await this.query(cancelExportSql, [projectId, id]);
    const row = result.rows[0];
    if (row) return toExport(row);
    const now = await this.get(projectId, id).catch(() => current);
    throw DomainError.conflict(
      `Export '${id}' already ${now.status}; only queued or running exports can be cancelled`,
    );
  }

  async claim(id: string): Promise<FeatureExport | null> {
    const row = (await this.query(claimExportSql, [id])).rows[0];
    return row ? toExport(row) : null;
  }

  async spine(id: string): Promise<SpineRow[]> {
    const result = await this.pool
      .query<{ spine: [string, number][] | null }>('SELECT spine FROM feature_exports WHERE id = $1', [id])
      .catch(translateDbError);
    return (result.rows[0]?.spine ?? []).map(([entityId, ms]) => ({ entityId, asOf: new Date(ms) }));
  }

  async heartbeat(id: string, rowsWritten: number): Promise<boolean> {
    return ((await this.query(heartbeatExportSql, [id, rowsWritten])).rowCount ?? 0) > 0;
  }

  async succeed(
    id: string,
    result: { rowsWritten: number; bytes: number; sha256: string; objectKey: string },
    statistics: { sketch: string; features: readonly FeatureStatistics[] },
  ): Promise<boolean> {
    const params = [id, result.rowsWritten, result.bytes, result.sha256, result.objectKey];
    // The status and the statistics commit together: a succeeded export always has its statistics.
    const client = await this.pool.connect().catch(translateDbError);
    try {
      await client.query('BEGIN');
      const succeeded = ((await client.query(succeedExportSql, params)).rowCount ?? 0) > 0;
      if (succeeded) await client.query(insertExportStatisticsSql, statisticsParams(id, statistics));
      await client.query('COMMIT');
      return succeeded;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      translateDbError(error);
    } finally {
      client.release();
    }
  }

  async statistics(projectId: string, id: string): Promise<ExportStatistics | null> {
    if (!UUID.test(id)) return null;
    const result = await this.pool
      .query<StatisticsRow>(selectExportStatisticsSql, [projectId, id])
      .catch(translateDbError);
    const first = result.rows[0];
    if (!first) return null;
    return {
      exportId: id,
      rows: first.rows,
      sketch: first.sketch,
      computedAt: first.computed_at,
      features: result.rows.map((r) => ({
        feature: r.feature,
        count: r.count,
        nullFraction: r.null_fraction,
        mean: r.mean,
        std: r.std,
        min: r.min,
        max: r.max,
        quantiles: { p1: r.p1, p5: r.p5, p25: r.p25, p50: r.p50, p75: r.p75, p95: r.p95, p99: r.p99 },
        quantileRanks: quantileRanksOf(r.quantile_ranks),
      })),
    };
  }

  async fail(id: string, error: string): Promise<void> {
    await this.query(failExportSql, [id, error]);
  }

  async failStale(before: Date, reason: string): Promise<FeatureExport[]> {
    return (await this.query(failStaleExportsSql, [before, reason])).rows.map(toExport);
  }

  /** Export records per status, all projects (queue depth for metrics). */
  async countByStatus(): Promise<Record<string, number>> {
    const result = await this.pool
      .query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM feature_exports GROUP BY status',
      )
      .catch((error: unknown) => translateDbError(error));
    return Object.fromEntries(result.rows.map((row) => [row.status, row.n]));
  }
}
