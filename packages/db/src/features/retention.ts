import type { RetentionPolicy, RetentionResult } from '@aihub/core';
import type pg from 'pg';
import { translateDbError } from '../errors.js';
import { deleteFlagsBeforeSql } from '../sql/anomalies.js';
import { refreshAggregates } from './refresh.js';
import { dropExpiredFeatureHistory, dropExpiredPredictionLog } from './served-history.js';

const DAY_MS = 86_400_000;
// Small transactions: retention never holds long locks or builds a huge invalidation batch at once.
const BATCH = 50_000;

async function deleteInBatches(
  pool: pg.Pool,
  table: 'timeseries_data' | 'weather_features',
  cutoff: Date,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await pool.query(
      `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ts < $1 LIMIT ${BATCH})`,
      [cutoff],
    );
    total += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < BATCH) return total;
  }
}

/**
 * Deletes readings and weather older than the policy and drops the expired day partitions of the
 * served-feature history and of the prediction log, deletes old anomaly flags, then refreshes the aggregates: the delete triggers invalidated every
 * affected bucket, so aggregates end up describing exactly what remains.
 */
export async function applyRetention(pool: pg.Pool, policy: RetentionPolicy): Promise<RetentionResult> {
  try {
    const readingsDeleted = await deleteInBatches(
      pool,
      'timeseries_data',
      new Date(policy.now.getTime() - policy.readingsDays * DAY_MS),
    );
    const weatherDeleted = await deleteInBatches(
      pool,
      'weather_features',
      new Date(policy.now.getTime() - policy.weatherDays * DAY_MS),
    );
    const featurePartitionsDropped = await dropExpiredFeatureHistory(
      pool,
      new Date(policy.now.getTime() - policy.featuresDays * DAY_MS),
      policy.now,
    );
    const predictionLogPartitionsDropped = await dropExpiredPredictionLog(
      pool,
      new Date(policy.now.getTime() - policy.predictionLogDays * DAY_MS),
      policy.now,
    );
    // Flags only (few rows per hour): one statement, not batches.
    const anomalyFlags = await pool.query(deleteFlagsBeforeSql, [
      new Date(policy.now.getTime() - policy.anomalyFlagsDays * DAY_MS),
    ]);
    const refresh = await refreshAggregates(pool);
    return {
      readingsDeleted,
      weatherDeleted,
      featurePartitionsDropped,
      predictionLogPartitionsDropped,
      anomalyFlagsDeleted: anomalyFlags.rowCount ?? 0,
      refresh,
    };
  } catch (error) {
    translateDbError(error);
  }
}
