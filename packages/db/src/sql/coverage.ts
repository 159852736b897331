/*
 * How many rows of a range have readings in their windows (the empty-rows warning of range
 * exports and retrievals). Raw SQL: gaps and islands over window functions, which the ORM cannot
 * express.
 *
 * Row (entity, H) has readings when some hourly bucket b of the entity has H - L <= b < H, i.e. H
 * lies in [b + 1h, b + L]. Consecutive buckets at most L apart make one run of covered hours
 * [first + 1h, last + L]; each run is clipped to the range's hours and counted. Reads only the
 * buckets of [first hour - L, last hour) by primary key: no per-row feature computation.
 *
 * $1 project id, $2 metric, $3 text[] entity ids, $4 first whole hour, $5 last whole hour,
 * $6 lookback hours L (>= 1). Returns (entity_id, hours) for entities with any covered hour.
 */
export const hoursWithReadingsSql = `
WITH b AS (
  SELECT h.entity_id, h.bucket,
         h.bucket - lag(h.bucket) OVER (PARTITION BY h.entity_id ORDER BY h.bucket) AS gap
    FROM hourly_features h
   WHERE h.project_id = $1 AND h.metric = $2 AND h.entity_id = ANY($3::text[])
     AND h.bucket >= $4::timestamptz - make_interval(hours => $6::int) AND h.bucket < $5::timestamptz
), runs AS (
  SELECT entity_id, bucket,
         sum(CASE WHEN gap IS NULL OR gap > make_interval(hours => $6::int) THEN 1 ELSE 0 END)
           OVER (PARTITION BY entity_id ORDER BY bucket) AS run
    FROM b
), spans AS (
  SELECT entity_id,
         greatest(min(bucket) + interval '1 hour', $4::timestamptz) AS first_hour,
         least(max(bucket) + make_interval(hours => $6::int), $5::timestamptz) AS last_hour
    FROM runs
   GROUP BY entity_id, run
)
SELECT entity_id, sum(greatest(0, extract(epoch FROM last_hour - first_hour) / 3600 + 1))::float8 AS hours
  FROM spans
 GROUP BY entity_id`;
