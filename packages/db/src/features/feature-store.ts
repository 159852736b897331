import type {
  EntityInfo,
  FeatureRow,
  FeatureStore,
  IngestBatch,
  IngestKind,
  IngestSummary,
  OfflineRequest,
  RangeRequest,
  RefreshResult,
  RetentionPolicy,
  RetentionResult,
} from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';
import { ingestBatches } from './ingest.js';
import { retrieveOfflineFeatures, streamRangeFeatures } from './offline.js';
import { pendingInvalidations, refreshAggregates } from './refresh.js';
import { applyRetention } from './retention.js';

/** The feature store over PostgreSQL: core's FeatureStore port bound to one pool. */
export class PgFeatureStore implements FeatureStore {
  constructor(private readonly pool: pg.Pool) {}

  ingest<K extends IngestKind>(
    options: { projectId: string; kind: K; strict: boolean },
    batches: AsyncIterable<IngestBatch<K>>,
  ): Promise<IngestSummary> {
    return ingestBatches(this.pool, options, batches);
  }

  refresh(projectId?: string): Promise<RefreshResult> {
    return refreshAggregates(this.pool, projectId === undefined ? {} : { projectId });
  }

  pendingInvalidations(projectId?: string): Promise<number> {
    return pendingInvalidations(this.pool, projectId);
  }

  retrieveOffline(request: OfflineRequest): Promise<FeatureRow[]> {
    return retrieveOfflineFeatures(this.pool, request);
  }

  streamRange(request: RangeRequest, batchSize?: number): AsyncGenerator<FeatureRow[]> {
    return streamRangeFeatures(this.pool, request, batchSize);
  }

  applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    return applyRetention(this.pool, policy);
  }

  async entities(projectId: string, ids?: readonly string[]): Promise<EntityInfo[]> {
    try {
      const result = await this.pool.query<{
        entity_id: string;
        location_id: string | null;
        timezone: string;
      }>(
        `SELECT entity_id, location_id, timezone FROM entities
          WHERE project_id = $1 AND ($2::text[] IS NULL OR entity_id = ANY($2::text[]))
          ORDER BY entity_id`,
        [projectId, ids ? [...ids] : null],
      );
      return result.rows.map((r) => ({
        entityId: r.entity_id,
        locationId: r.location_id,
        timezone: r.timezone,
      }));
    } catch (error) {
      translateDbError(error);
    }
  }

  async entitiesWithMetric(projectId: string, metric: string): Promise<string[]> {
    try {
      // From the hourly aggregates (one row per hour) rather than the raw readings (many per hour).
      const result = await this.pool.query<{ entity_id: string }>(
        `SELECT DISTINCT entity_id FROM hourly_features WHERE project_id = $1 AND metric = $2 ORDER BY entity_id`,
        [projectId, metric],
      );
      return result.rows.map((r) => r.entity_id);
    } catch (error) {
      translateDbError(error);
    }
  }
}
