import type {
  DriftReport,
  DriftReportSummary,
  DriftRepository,
  DriftTrigger,
  NewDriftReport,
} from '@aihub/core';
import type pg from 'pg';
import { connectOrThrow, translateDbError } from '../errors.js';
import {
  driftHistorySql,
  insertDriftReportSql,
  insertFeatureDriftSql,
  productionVersionsWithExportsSql,
  servedVectorsSql,
} from '../sql/drift.js';

interface SummaryRow {
  id: string;
  model_version_id: string;
  export_id: string;
  feature_set: string;
  feature_set_version: number;
  metric: string;
  window_start: Date;
  window_end: Date;
  served_vectors: number;
  trigger: DriftTrigger;
  created_at: Date;
  flagged: string[];
}

/** Drift reports over raw SQL (see sql/drift.ts). */
export class PgDriftRepository implements DriftRepository {
  constructor(private readonly pool: pg.Pool) {}

  async servedVectors(
    key: { projectId: string; featureSet: string; version: number; metric: string },
    from: Date,
    to: Date,
  ): Promise<(number | null)[][]> {
    const params = [key.projectId, key.featureSet, key.version, key.metric, from, to];
    const result = await this.pool
      .query<{ feature_values: (number | null)[] }>(servedVectorsSql, params)
      .catch(translateDbError);
    return result.rows.map((r) => r.feature_values);
  }

  async record(report: NewDriftReport): Promise<DriftReport> {
    const flagged = report.features.filter((f) => f.flagged).map((f) => f.feature);
    const client = await connectOrThrow(this.pool);
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ id: string; created_at: Date }>(insertDriftReportSql, [
        report.projectId,
        report.modelVersionId,
        report.exportId,
        report.featureSet,
        report.featureSetVersion,
        report.metric,
        report.windowStart,
        report.windowEnd,
        report.servedVectors,
        flagged.length,
        report.trigger,
      ]);
      const { id, created_at } = inserted.rows[0] as { id: string; created_at: Date };
      const f = report.features;
      await client.query(insertFeatureDriftSql, [
        id,
        f.map((_, i) => i),
        f.map((d) => d.feature),
        f.map((d) => d.psi),
        f.map((d) => d.trainingNullFraction),
        f.map((d) => d.servedNullFraction),
        f.map((d) => d.nullFractionChange),
        f.map((d) => d.servedCount),
        f.map((d) => d.flagged),
      ]);
      await client.query('COMMIT');
      const { projectId: _, ...rest } = report;
      return { ...rest, id, createdAt: created_at, flagged };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      translateDbError(error);
    } finally {
      client.release();
    }
  }

  async history(projectId: string, modelVersionId: string, limit: number): Promise<DriftReportSummary[]> {
    const result = await this.pool
      .query<SummaryRow>(driftHistorySql, [projectId, modelVersionId, limit])
      .catch(translateDbError);
    return result.rows.map((r) => ({
      id: r.id,
      modelVersionId: r.model_version_id,
      exportId: r.export_id,
      featureSet: r.feature_set,
      featureSetVersion: r.feature_set_version,
      metric: r.metric,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      servedVectors: r.served_vectors,
      trigger: r.trigger,
      createdAt: r.created_at,
      flagged: r.flagged,
    }));
  }

  async productionVersionsWithExports(): Promise<{ projectId: string; versionId: string }[]> {
    const result = await this.pool
      .query<{ project_id: string; version_id: string }>(productionVersionsWithExportsSql)
      .catch(translateDbError);
    return result.rows.map((r) => ({ projectId: r.project_id, versionId: r.version_id }));
  }
}
