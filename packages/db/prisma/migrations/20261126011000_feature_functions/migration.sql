-- Point-in-time feature functions (feature-spec.md). The offline retrieval query calls exactly
-- these, as LATERAL joins; being single-SELECT SQL functions, PostgreSQL inlines them into it.
-- For analysts: SELECT * FROM get_rolling_features('<project uuid>', 'kwh', 'meter-1', now(), 24);

-- Statistics of the hourly bucket [H - n h, H - (n-1) h), H = floor_hour(as_of) in UTC:
-- lag_<n>h is its mean; n = 1 gives last_hour_min/max/count. No row when the bucket is empty.
CREATE FUNCTION "get_lag_features"(
  p_project_id UUID, p_metric TEXT, p_entity_id TEXT, p_as_of TIMESTAMPTZ, p_lag_hours INTEGER
) RETURNS TABLE ("mean" DOUBLE PRECISION, "count" INTEGER, "min" DOUBLE PRECISION, "max" DOUBLE PRECISION)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT h.mean, h.count, h.min, h.max
    FROM hourly_features h
   WHERE h.project_id = p_project_id AND h.entity_id = p_entity_id AND h.metric = p_metric
     AND h.bucket = aihub_floor_hour(p_as_of) - make_interval(hours => p_lag_hours)
$$;

-- Statistics over every raw reading with ts in [H - n h, H), merged exactly from partial
-- aggregates: whole UTC days from daily_features, the ragged ends from hourly_features (at most
-- 2 x 23 hours), so a 168-hour window reads about 53 rows instead of 168. Counts and sums add up;
-- the second moment merges with Chan et al.'s formula M2 = sum(M2_i + n_i * (mean_i - mean)^2),
-- stable where sum(x^2) - n*mean^2 is not. Always one row; count is 0 and the rest null when the
-- window is empty.
CREATE FUNCTION "get_rolling_features"(
  p_project_id UUID, p_metric TEXT, p_entity_id TEXT, p_as_of TIMESTAMPTZ, p_window_hours INTEGER
) RETURNS TABLE ("count" BIGINT, "mean" DOUBLE PRECISION, "std" DOUBLE PRECISION, "min" DOUBLE PRECISION, "max" DOUBLE PRECISION)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(sum(w.count), 0)::bigint,
         sum(w.sum) / nullif(sum(w.count), 0),
         CASE WHEN sum(w.count) >= 2
              THEN sqrt(greatest(sum(w.m2 + w.count * (w.mean - w.grand_mean) ^ 2), 0) / (sum(w.count) - 1)) END,
         min(w.min),
         max(w.max)
    FROM (
      SELECT p.count, p.sum, p.mean, p.m2, p.min, p.max,
             sum(p.sum) OVER () / sum(p.count) OVER () AS grand_mean
        FROM (
          SELECT b.window_start, b.window_end,
                 -- The first UTC midnight at or after the window's start, and the last at or before its end.
                 CASE WHEN b.window_start = aihub_floor_day(b.window_start) THEN b.window_start
                      ELSE aihub_floor_day(b.window_start) + interval '1 day' END AS days_start,
                 aihub_floor_day(b.window_end) AS days_end
            FROM (SELECT aihub_floor_hour(p_as_of) - make_interval(hours => p_window_hours) AS window_start,
                         aihub_floor_hour(p_as_of) AS window_end) b
        ) r
       CROSS JOIN LATERAL (
         SELECT h.count, h.sum, h.mean, h.m2, h.min, h.max
           FROM hourly_features h
          WHERE h.project_id = p_project_id AND h.entity_id = p_entity_id AND h.metric = p_metric
            AND h.bucket >= r.window_start AND h.bucket < least(r.days_start, r.window_end)
         UNION ALL
         SELECT d.count, d.sum, d.mean, d.m2, d.min, d.max
           FROM daily_features d
          WHERE d.project_id = p_project_id AND d.entity_id = p_entity_id AND d.metric = p_metric
            AND d.bucket >= r.days_start AND d.bucket < r.days_end
         UNION ALL
         SELECT h.count, h.sum, h.mean, h.m2, h.min, h.max
           FROM hourly_features h
          WHERE h.project_id = p_project_id AND h.entity_id = p_entity_id AND h.metric = p_metric
            AND h.bucket >= greatest(r.days_end, r.days_start) AND h.bucket < r.window_end
       ) p
    ) w
$$;

-- Weather for the hour [H, H+1h) at the entity's location as known at as_of: the row with ts = H
-- and the greatest issued_at <= as_of. Fields null in that row stay null.
CREATE FUNCTION "get_weather_features"(
  p_project_id UUID, p_location_id TEXT, p_as_of TIMESTAMPTZ
) RETURNS TABLE (
  "temperature_c" DOUBLE PRECISION, "humidity_pct" DOUBLE PRECISION, "wind_speed_ms" DOUBLE PRECISION,
  "solar_radiation_wm2" DOUBLE PRECISION, "precipitation_mm" DOUBLE PRECISION
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT w.temperature_c, w.humidity_pct, w.wind_speed_ms, w.solar_radiation_wm2, w.precipitation_mm
    FROM weather_features w
   WHERE w.project_id = p_project_id AND w.location_id = p_location_id
     AND w.ts = aihub_floor_hour(p_as_of) AND w.issued_at <= p_as_of
   ORDER BY w.issued_at DESC
   LIMIT 1
$$;
