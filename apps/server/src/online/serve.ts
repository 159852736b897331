import { DomainError, type FeatureRow, floorHour, type OnlineSetKey } from '@aihub/core';
import type { Logger } from 'pino';
import type { AppDeps } from '../context.js';
import { assertEntitiesExist, featureSetFor } from '../routers/features.js';

/*
 * features.get: the current hour's vectors from the online store in one round trip, anything it
 * lacks (missing, expired, Redis down or slow) computed from PostgreSQL; a past as-of goes to the
 * point-in-time offline path. A Redis failure never fails the request.
 */

export interface ServedVector {
  entityId: string;
  /** The hour the vector is for: only readings before it contribute. */
  asOf: Date;
  values: (number | null)[];
  source: 'online' | 'offline';
  stale: boolean;
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
      vectors.forEach((v, i) => {
        if (v && v.asOf.getTime() <= hour.getTime()) {
          served[i] = { ...v, source: 'online', stale: stale(v.asOf) };
        }
      });
    } catch (error) {
      warnRedisDown(log, error);
    }
  }

  const missing = input.entityIds.filter((_, i) => served[i] === undefined);
  if (missing.length > 0) {
    await assertEntitiesExist(deps, projectId, missing, 'entityIds');
    const unique = [...new Set(missing)];
    const rows = await deps.featureStore.retrieveOffline({
      projectId,
      metric: input.metric,
      features: set.features,
      spine: unique.map((entityId) => ({ entityId, asOf: requested })),
    });
    const byEntity = new Map<string, FeatureRow>(rows.map((r) => [r.entityId, r]));
    input.entityIds.forEach((entityId, i) => {
      if (served[i]) return;
      const row = byEntity.get(entityId);
      served[i] = { entityId, asOf: hour, values: row?.values ?? [], source: 'offline', stale: stale(hour) };
    });
  }
  return {
    featureSet: { name: set.name, version: set.version },
    metric: input.metric,
    columns: set.features,
    vectors: served as ServedVector[],
  };
}
