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
  FROM claimed
 ORDER BY project_id, entity_id, metric, bucket`;

/**
 * Remembers every metric the claimed buckets belong to (a project's known metrics). Here rather
 * than at ingest: refreshes serialize on their lock, so two ingests of a new metric never wait on
 * each other's uncommitted row. A project deleted meanwhile is skipped.
 */
export const recordClaimedMetricsSql = `
INSERT INTO project_metrics (project_id, metric)
SELECT DISTINCT c.project_id, c.metric FROM refresh_claimed c
 WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = c.project_id)
ON CONFLICT (project_id, metric) DO NOTHING`;

/** Metrics with readings of a project ($1): recorded by a refresh, or waiting for the next one. */
export const knownMetricsSql = `
SELECT metric FROM project_metrics WHERE project_id = $1
 UNION
SELECT DISTINCT metric FROM aggregate_invalidations WHERE project_id = $1
 ORDER BY metric`;

export const clearClaimedHoursSql = `
DELETE FROM hourly_features h
 USING refresh_claimed c
 WHERE h.project_id = c.project_id AND h.entity_id = c.entity_id AND h.metric = c.metric AND h.bucket = c.bucket`;

/**
 * Recomputes each claimed hour from its raw readings; an hour left empty gets no row. One small
 * index-range aggregate per bucket (LATERAL): the planner cannot estimate a range join's width and
 * would sort millions of phantom rows, while this plan costs the same per bucket at any size.
 */
export const rebuildClaimedHoursSql = `
INSERT INTO hourly_features
  (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
   first_value, last_value, first_ts, last_ts)
SELECT c.project_id, c.entity_id, c.metric, c.bucket,
       a.n, a.s, a.mean, a.lo, a.hi, a.m2, a.sd, a.first_value, a.last_value, a.first_ts, a.last_ts
  FROM refresh_claimed c
 CROSS JOIN LATERAL (
   SELECT count(*)::int AS n, sum(t.value) AS s, avg(t.value) AS mean, min(t.value) AS lo, max(t.value) AS hi,
          var_pop(t.value) * count(*) AS m2, stddev_samp(t.value) AS sd,
          (array_agg(t.value ORDER BY t.ts))[1] AS first_value, (array_agg(t.value ORDER BY t.ts DESC))[1] AS last_value,
          min(t.ts) AS first_ts, max(t.ts) AS last_ts
     FROM timeseries_data t
    WHERE t.project_id = c.project_id AND t.entity_id = c.entity_id AND t.metric = c.metric
      AND t.ts >= c.bucket AND t.ts < c.bucket + interval '1 hour'
 ) a
 WHERE a.n > 0`;

export const claimedDaysSql = `
CREATE TEMP TABLE refresh_days ON COMMIT DROP AS
SELECT DISTINCT project_id, entity_id, metric, aihub_floor_day(bucket) AS bucket FROM refresh_claimed
 ORDER BY project_id, entity_id, metric, bucket`;

export const clearClaimedDaysSql = `
DELETE FROM daily_features d
 USING refresh_days c
 WHERE d.project_id = c.project_id AND d.entity_id = c.entity_id AND d.metric = c.metric AND d.bucket = c.bucket`;

/**
 * A day merges its (already refreshed) hours: counts and sums add, M2 merges with Chan's formula
 * (the same merge get_rolling_features does), first/last come from the earliest/latest hour.
 */
export const rebuildClaimedDaysSql = `
INSERT INTO daily_features
  (project_id, entity_id, metric, bucket, count, sum, mean, min, max, m2, std,
   first_value, last_value, first_ts, last_ts)
SELECT c.project_id, c.entity_id, c.metric, c.bucket,
       a.n, a.s, a.s / a.n, a.lo, a.hi, a.m2, CASE WHEN a.n >= 2 THEN sqrt(a.m2 / (a.n - 1)) END,
       a.first_value, a.last_value, a.first_ts, a.last_ts
  FROM refresh_days c
 CROSS JOIN LATERAL (
   SELECT sum(h.count)::int AS n, sum(h.sum) AS s, min(h.min) AS lo, max(h.max) AS hi,
          greatest(sum(h.m2 + h.count * (h.mean - h.grand_mean) ^ 2), 0) AS m2,
          (array_agg(h.first_value ORDER BY h.bucket))[1] AS first_value,
          (array_agg(h.last_value ORDER BY h.bucket DESC))[1] AS last_value,
          min(h.first_ts) AS first_ts, max(h.last_ts) AS last_ts
     FROM (SELECT h.*, sum(h.sum) OVER () / sum(h.count) OVER () AS grand_mean
             FROM hourly_features h
            WHERE h.project_id = c.project_id AND h.entity_id = c.entity_id AND h.metric = c.metric
              AND h.bucket >= c.bucket AND h.bucket < c.bucket + interval '1 day') h
 ) a
 WHERE a.n > 0`;
