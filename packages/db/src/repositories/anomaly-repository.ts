import {
  type AnomalyFlag,
  type AnomalyListFilter,
  type AnomalyRepository,
  DomainError,
  type NewAnomalyFlag,
  type ScoredHourScope,
} from '@aihub/core';
import type pg from 'pg';
import { connectOrThrow, translateDbError } from '../errors.js';
import { deleteScoredFlagsSql, insertFlagsSql, listFlagsSql, optedInVersionsSql } from '../sql/anomalies.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anomaly flags over raw SQL (see sql/anomalies.ts). */
export class PgAnomalyRepository implements AnomalyRepository {
  constructor(private readonly pool: pg.Pool) {}

  async record(scope: ScoredHourScope, flags: readonly NewAnomalyFlag[]): Promise<void> {
    const client = await connectOrThrow(this.pool);
    try {
      await client.query('BEGIN');
      await client.query(deleteScoredFlagsSql, [scope.modelVersionId, scope.hour, scope.entityIds]);
      if (flags.length > 0) {
        await client.query(insertFlagsSql, [
          scope.projectId,
          scope.modelVersionId,
          scope.metric,
          scope.hour,
          flags.map((f) => f.entityId),
          flags.map((f) => f.actual),
          flags.map((f) => f.expected),
          flags.map((f) => f.residual),
          flags.map((f) => f.std),
          flags.map((f) => f.threshold),
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      translateDbError(error);
    } finally {
      client.release();
    }
  }

  async list(projectId: string, filter: AnomalyListFilter) {
    if (filter.cursor !== undefined && !UUID.test(filter.cursor)) {
      throw DomainError.badRequest('cursor: not a flag id', { cursor: ['not a flag id from this API'] });
    }
    const result = await this.pool
      .query<AnomalyFlag>(listFlagsSql, [
        projectId,
        filter.model ?? null,
        filter.entityId ?? null,
        filter.from ?? null,
        filter.to ?? null,
        filter.cursor ?? null,
        filter.limit + 1,
      ])
      .catch(translateDbError);
    // The columns are selected under the domain's names (sql/anomalies.ts).
    const items = result.rows.slice(0, filter.limit);
    const nextCursor = result.rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null;
    return { items, nextCursor };
  }

  async optedInVersions(): Promise<{ projectId: string; versionId: string }[]> {
    const result = await this.pool
      .query<{ project_id: string; version_id: string }>(optedInVersionsSql)
      .catch(translateDbError);
    return result.rows.map((r) => ({ projectId: r.project_id, versionId: r.version_id }));
  }
}
