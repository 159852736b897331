import type { RefreshResult } from '@aihub/core';
import type pg from 'pg';
import { connectOrThrow, translateDbError } from '../errors.js';
import {
  claimedDaysSql,
  claimInvalidationsSql,
  clearClaimedDaysSql,
  clearClaimedHoursSql,
  rebuildClaimedDaysSql,
  rebuildClaimedHoursSql,
  recordClaimedMetricsSql,
} from '../sql/aggregates.js';

// Refreshes serialize on this lock; ingest never waits for it (it only appends invalidations).
const REFRESH_LOCK_KEY = 72_410_010;

/**
 * Recomputes exactly the hourly and daily buckets whose readings changed since the last refresh.
 * One transaction: a crash or error leaves the invalidations in place for the next refresh.
 */
export async function refreshAggregates(
  pool: pg.Pool,
  options: { projectId?: string } = {},
): Promise<RefreshResult> {
  const client = await connectOrThrow(pool);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK_KEY]);
    // Estimates of these set-based statements are poor at any size; compiling them never pays.
    await client.query('SET LOCAL jit = off');
    const claimed = await client.query(claimInvalidationsSql, [options.projectId ?? null]);
    const hourlyBuckets = claimed.rowCount ?? 0;
    let dailyBuckets = 0;
    if (hourlyBuckets > 0) {
      await client.query('ANALYZE refresh_claimed');
      await client.query(recordClaimedMetricsSql);
      await client.query(clearClaimedHoursSql);
      await client.query(rebuildClaimedHoursSql);
      const days = await client.query(claimedDaysSql);
      dailyBuckets = days.rowCount ?? 0;
      await client.query(clearClaimedDaysSql);
      await client.query(rebuildClaimedDaysSql);
    }
    await client.query('COMMIT');
    return { hourlyBuckets, dailyBuckets };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    translateDbError(error);
  } finally {
    client.release();
  }
}

/** Hourly buckets waiting for a refresh (for status displays and tests). */
export async function pendingInvalidations(pool: pg.Pool, projectId?: string): Promise<number> {
  const result = await pool.query<{ n: string }>(
    // Runs may overlap (the same hour changed twice before a refresh), so this is an upper bound.
    `SELECT coalesce(sum(extract(epoch FROM last_bucket - first_bucket) / 3600 + 1), 0) AS n
       FROM aggregate_invalidations WHERE $1::uuid IS NULL OR project_id = $1::uuid`,
    [projectId ?? null],
  );
  return Number(result.rows[0]?.n ?? 0);
}
