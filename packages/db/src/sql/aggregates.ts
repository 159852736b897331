/*
 * Incremental refresh of the hourly and daily aggregates, with the semantics of TimescaleDB's
 * continuous aggregates: only buckets named in aggregate_invalidations (filled by triggers on
 * timeseries_data) are recomputed. Raw SQL: set-based recomputation from a claimed batch, which
 * the ORM cannot express.
 */

/**
 * Claims the pending invalidation runs ($1: project id or null for all) and expands them into the
 * distinct hourly buckets to recompute, in a temp table.
 */
export const claimInvalidationsSql = `
CREATE TEMP TABLE refresh_claimed ON COMMIT DROP AS
WITH claimed AS (
  DELETE FROM aggregate_invalidations
   WHERE $1::uuid IS NULL OR project_id = $1::uuid
  RETURNING project_id, entity_id, metric, first_bucket, last_bucket
)
SELECT DISTINCT project_id, entity_id, metric, generate_series(first_bucket, last_bucket, interval '1 hour') AS bucket
  FROM claimed`;

export const clearClaimedHoursSql = `
DELETE FROM hourly_features h
 USING refresh_claimed c
 WHERE h.project_id = c.project_id AND h.entity_id = c.entity_id AND h.metric = c.metric AND h.bucket = c.bucket`;

/** Recomputes each claimed hour from its raw readings; an hour left empty simply gets no row. */
export const rebuildClaimedHoursSql = `
INSERT INTO hourly_features
  (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
   first_value, last_value, first_ts, last_ts)
SELECT c.project_id, c.entity_id, c.metric, c.bucket,
       count(*), sum(t.value), avg(t.value), min(t.value), max(t.value),
       var_pop(t.value) * count(*), stddev_samp(t.value),
       (array_agg(t.value ORDER BY t.ts))[1], (array_agg(t.value ORDER BY t.ts DESC))[1],
       min(t.ts), max(t.ts)
  FROM refresh_claimed c
  JOIN timeseries_data t
    ON t.project_id = c.project_id AND t.entity_id = c.entity_id AND t.metric = c.metric
   AND t.ts >= c.bucket AND t.ts < c.bucket + interval '1 hour'
 GROUP BY c.project_id, c.entity_id, c.metric, c.bucket`;

export const claimedDaysSql = `
CREATE TEMP TABLE refresh_days ON COMMIT DROP AS
SELECT DISTINCT project_id, entity_id, metric, aihub_floor_day(bucket) AS bucket FROM refresh_claimed`;

export const clearClaimedDaysSql = `
DELETE FROM daily_features d
 USING refresh_days c
 WHERE d.project_id = c.project_id AND d.entity_id = c.entity_id AND d.metric = c.metric AND d.bucket = c.bucket`;

/** A day merges its (already refreshed) hours: counts and sums add, M2 merges with Chan's formula. */
export const rebuildClaimedDaysSql = `
INSERT INTO daily_features
  (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
   first_value, last_value, first_ts, last_ts)
SELECT project_id, entity_id, metric, day,
       sum(count), sum(sum), sum(sum) / sum(count), min(min), max(max),
       sum(m2 + count * (mean - grand_mean) ^ 2),
       CASE WHEN sum(count) >= 2 THEN sqrt(greatest(sum(m2 + count * (mean - grand_mean) ^ 2), 0) / (sum(count) - 1)) END,
       (array_agg(first_value ORDER BY bucket))[1], (array_agg(last_value ORDER BY bucket DESC))[1],
       min(first_ts), max(last_ts)
  FROM (
    SELECT h.*, c.bucket AS day,
           sum(h.sum) OVER w / sum(h.count) OVER w AS grand_mean
      FROM refresh_days c
      JOIN hourly_features h
        ON h.project_id = c.project_id AND h.entity_id = c.entity_id AND h.metric = c.metric
       AND h.bucket >= c.bucket AND h.bucket < c.bucket + interval '1 day'
    WINDOW w AS (PARTITION BY h.project_id, h.entity_id, h.metric, c.bucket)
  ) hours
 GROUP BY project_id, entity_id, metric, day`;
