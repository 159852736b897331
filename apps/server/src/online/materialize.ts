import {
  type FeatureSet,
  type FeatureSetRepository,
  type FeatureStore,
  floorHour,
  type Materialization,
  type MaterializationRepository,
  type OnlineSetKey,
  type OnlineStore,
  type OnlineVector,
  resolveFeatureSet,
  type ServedFeatureHistory,
} from '@aihub/core';
import type { Logger } from 'pino';

/** What materialization needs: the offline store computes, the online store keeps. */
export interface OnlineDeps {
  online: OnlineStore;
  /** The history of served vectors (ai_features), appended by every run. */
  history: ServedFeatureHistory;
  materializations: MaterializationRepository;
  /** How long a materialized vector lives without being rewritten. */
  ttlSeconds: number;
  /** A vector older than this (relative to the time asked for) is reported `stale`. */
  freshnessMs: number;
  /** How long a read waits for Redis before computing from PostgreSQL instead. */
  readTimeoutMs: number;
}

// Entities computed and written per step: bounds memory and the size of one Redis pipeline.
const CHUNK = 1_000;

export type MaterializeDeps = Pick<OnlineDeps, 'online' | 'history' | 'ttlSeconds'> & {
  featureStore: FeatureStore;
};

/**
 * Writes the vector as of the current hour of every entity with readings of the metric into the
 * online store, computed by the offline path so both agree by construction, then records the
 * run's vectors in the served-feature history (one COPY). If that record fails, the run fails and
 * is recorded as failed, so the next scheduled run writes both again (each write is idempotent).
 */
export async function materializeFeatureSet(
  deps: MaterializeDeps,
  key: OnlineSetKey,
  set: FeatureSet,
  now: Date = new Date(),
): Promise<{ asOf: Date; entities: number }> {
  const asOf = floorHour(now);
  const entityIds = await deps.featureStore.entitiesWithMetric(key.projectId, key.metric);
  // Kept for the history's single COPY: one row per entity, the size of what was just served.
  const served: OnlineVector[] = [];
  for (let start = 0; start < entityIds.length; start += CHUNK) {
    const rows = await deps.featureStore.retrieveOffline({
      projectId: key.projectId,
      metric: key.metric,
      features: set.features,
      spine: entityIds.slice(start, start + CHUNK).map((entityId) => ({ entityId, asOf })),
    });
    const vectors = rows.map((row) => ({ entityId: row.entityId, asOf, values: row.values }));
    await deps.online.write(key, set.features, vectors, deps.ttlSeconds);
    for (const v of vectors) served.push(v);
  }
  await deps.history.append(key, served, now);
  return { asOf, entities: entityIds.length };
}

function keyOf(m: Materialization): OnlineSetKey {
  return { projectId: m.projectId, featureSet: m.featureSet, version: m.version, metric: m.metric };
}

/**
 * The scheduled run: every enabled registration whose aggregates changed, whose vectors are for
 * an earlier hour, or whose last run failed. Each outcome is recorded on its registration; one
 * failing (Redis down) does not stop the others, and it is retried by the next run.
 */
export async function runDueMaterializations(
  deps: { featureStore: FeatureStore; featureSets: FeatureSetRepository; online: OnlineDeps },
  logger: Logger,
  now: Date = new Date(),
): Promise<{ materialized: number; failed: number; storeReset: boolean }> {
  // Redis restarted empty (or was flushed): every registration's vectors are gone, whatever hour
  // they were for, so all are rewritten now rather than at the next hour. Redis being down is
  // not a reset; the writes below fail and are retried.
  const storeReset = await deps.online.online.claimEmpty().catch(() => false);
  if (storeReset) {
    logger.warn('online store is empty (Redis restarted or flushed); re-materializing every registration');
    await deps.online.materializations.markChanged();
  }
  const due = await deps.online.materializations.claimDue(floorHour(now));
  let failed = 0;
  for (const m of due) {
    const key = keyOf(m);
    try {
      const set = await resolveFeatureSet(m.featureSet, m.version, (name, version) =>
        deps.featureSets.get(m.projectId, name, version),
      );
      const result = await materializeFeatureSet(
        { ...deps.online, featureStore: deps.featureStore },
        key,
        set,
        now,
      );
      await deps.online.materializations.recordRun(key, { ...result, error: null, at: new Date() });
    } catch (error) {
      failed++;
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ err: error, materialization: key }, 'materialization failed');
      await deps.online.materializations
        .recordRun(key, { asOf: floorHour(now), entities: 0, error: reason, at: new Date() })
        .catch((e: unknown) => logger.error({ err: e }, 'could not record the materialization failure'));
    }
  }
  return { materialized: due.length - failed, failed, storeReset };
}
