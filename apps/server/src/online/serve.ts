import { DomainError, type FeatureRow, floorHour, type OnlineSetKey } from '@aihub/core';
import type { Logger } from 'pino';
import type { AppDeps } from '../context.js';
import { assertKnownMetric, featureSetFor } from '../routers/features.js';

/*
 * features.get: the current hour's vectors from the online store in one round trip, anything it
 * lacks (missing, expired, Redis down or slow) computed from PostgreSQL; a past as-of goes to the
 * point-in-time offline path. A Redis failure never fails the request.
 *
 * An unknown entity id does not fail the batch (one new meter must not fail inference for a
 * thousand): it comes back with status 'unknown_entity', source 'none' and null values. A metric
 * the project never recorded is refused (BAD_REQUEST listing the known ones). Neither check costs
 * the hot path a query: a vector found online proves both, and the rest is looked up together
 * with the PostgreSQL fallback, which queries anyway (known metrics are cached).
 */

export type VectorStatus = 'ok' | 'unknown_entity';

export interface ServedVector {
  entityId: string;
  /** The hour the vector is for: only readings before it contribute. */
  asOf: Date;
  values: (number | null)[];
  /** 'none': an unknown entity, nothing computed. */
  source: 'online' | 'offline' | 'none';
  stale: boolean;
  /** 'ok' for every entity of the project (with or without readings), else 'unknown_entity'. */
  status: VectorStatus;
}

export interface GetFeaturesInput {
  featureSet: string;
  version?: number | undefined;
  metric: string;
  entityIds: readonly string[];
  asOf?: Date | undefined;
}

// A client clock slightly ahead of ours still counts as "now".
const CLOCK_SKEW_MS = 5 * 60_000;
let lastRedisWarning = 0;

function warnRedisDown(log: Logger, error: unknown): void {
  // Once per 10 s: while Redis is down every request would otherwise log the same line.
  const now = Date.now();
  if (now - lastRedisWarning < 10_000) return;
  lastRedisWarning = now;
  log.warn({ err: error }, 'online store unavailable; serving from PostgreSQL');
}

export async function getFeatures(deps: AppDeps, projectId: string, input: GetFeaturesInput, log: Logger) {
  const now = new Date();
  const requested = input.asOf ?? now;
  if (requested.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw DomainError.badRequest('asOf: must not be in the future', { asOf: ['must not be in the future'] });
  }
  const set = await featureSetFor(deps, projectId, input.featureSet, input.version);
  const hour = floorHour(requested);
  const key: OnlineSetKey = { projectId, featureSet: set.name, version: set.version, metric: input.metric };
  const served: (ServedVector | undefined)[] = new Array(input.entityIds.length);
  const stale = (asOf: Date) => requested.getTime() - asOf.getTime() > deps.online.freshnessMs;

  // Only the current hour is materialized; an earlier hour is answered point-in-time offline.
  if (hour.getTime() >= floorHour(now).getTime()) {
    try {
      const vectors = await deps.online.online.read(
        key,
        set.features,
        input.entityIds,
        deps.online.readTimeoutMs,
      );
      let hits = 0;
      for (let i = 0; i < vectors.length; i++) {
        const v = vectors[i];
        if (v && v.asOf.getTime() <= hour.getTime()) {
          const { entityId, asOf, values } = v;
          served[i] = { entityId, asOf, values, source: 'online', stale: stale(asOf), status: 'ok' };
          hits++;
        }
      }
      deps.metrics.onlineVectors.inc({ outcome: 'hit' }, hits);
      deps.metrics.onlineVectors.inc({ outcome: 'miss' }, vectors.length - hits);
    } catch (error) {
      deps.metrics.onlineVectors.inc({ outcome: 'fallback' }, input.entityIds.length);
      warnRedisDown(log, error);
    }
  }

  const missing = served.includes(undefined) ? input.entityIds.filter((_, i) => served[i] === undefined) : [];
  if (missing.length > 0) {
    // Vectors are materialized only for entities with readings of the metric: one found online
    // proves the metric known; otherwise ask (cached once known).
    if (missing.length === input.entityIds.length) await assertKnownMetric(deps, projectId, input.metric);
    const unique = [...new Set(missing)];
    const known = new Set((await deps.featureStore.entities(projectId, unique)).map((e) => e.entityId));
    const computable = unique.filter((id) => known.has(id));
    const rows =
      computable.length === 0
        ? []
        : await deps.featureStore.retrieveOffline({
            projectId,
            metric: input.metric,
            features: set.features,
            spine: computable.map((entityId) => ({ entityId, asOf: requested })),
          });
    const byEntity = new Map<string, FeatureRow>(rows.map((r) => [r.entityId, r]));
    input.entityIds.forEach((entityId, i) => {
      if (served[i]) return;
      const row = byEntity.get(entityId);
      served[i] = row
        ? { entityId, asOf: hour, values: row.values, source: 'offline', stale: stale(hour), status: 'ok' }
        : {
            entityId,
            asOf: hour,
            values: set.features.map(() => null),
            source: 'none',
            stale: false,
            status: 'unknown_entity',
          };
    });
  }
  return {
    featureSet: { name: set.name, version: set.version },
    metric: input.metric,
    columns: set.features,
    vectors: served as ServedVector[],
  };
}
