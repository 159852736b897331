-- The SQL views of the predefined sets (issue 14) compute lags and rolling statistics the way the
-- offline retrieval now does (packages/db/src/sql/offline-features.ts, seriesFeaturesSql, which
-- wrote the subqueries below): one LATERAL subquery per row over a few index ranges of
-- hourly_features and daily_features (the recent hours; per window longer than 48 h its hours
-- before the first UTC midnight and its whole days), each statistic an aggregate FILTERed to its
-- own rows, merged with the same formulas as get_rolling_features (Chan's M2 against the window's
-- grand mean). A view and features.offline run the same expressions over the same rows in the
-- same order, so they stay equal bit for bit (a test compares them row for row). Columns, names
-- and types are unchanged. get_lag_features and get_rolling_features stay, for analysts.

CREATE OR REPLACE VIEW "forecast_basic_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       sf.l1_mean AS lag_1h,
       sf.l24_mean AS lag_24h,
       sf.l168_mean AS lag_168h,
       extract(hour FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS hour_of_day,
       extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS day_of_week,
       CASE WHEN extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC')) >= 6 THEN 1 ELSE 0 END AS is_weekend
  FROM aihub_feature_hours s
  LEFT JOIN entities e ON e.project_id = s.project_id AND e.entity_id = s.entity_id
  LEFT JOIN LATERAL (
  SELECT max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_mean,
           max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '24 hours') AS l24_mean,
           max(p.mean) FILTER (WHERE p.src = 1) AS l168_mean
      FROM (
        SELECT q.*
          FROM (
            SELECT k.hh, u.src, u.bucket, u.count, u.sum, u.mean, u.m2, u.min, u.max
              FROM (SELECT k0.hh FROM (SELECT aihub_floor_hour(s.as_of) AS hh OFFSET 0) k0 OFFSET 0) k
             CROSS JOIN LATERAL (
               SELECT 0 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket >= k.hh - interval '24 hours' AND h.bucket < k.hh
               UNION ALL
               SELECT 1 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket = k.hh - interval '168 hours'
             ) u
          ) q
      ) p
  ) sf ON true;

CREATE OR REPLACE VIEW "forecast_advanced_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       sf.l1_mean AS lag_1h,
       sf.l24_mean AS lag_24h,
       sf.l168_mean AS lag_168h,
       extract(hour FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS hour_of_day,
       extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS day_of_week,
       CASE WHEN extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC')) >= 6 THEN 1 ELSE 0 END AS is_weekend,
       extract(month FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS month,
       sf.r24_mean AS rolling_24h_mean,
       sf.r24_std AS rolling_24h_std,
       sf.r24_min AS rolling_24h_min,
       sf.r24_max AS rolling_24h_max,
       sf.r168_mean AS rolling_168h_mean,
       sf.r168_std AS rolling_168h_std,
       wx.temperature_c AS weather_temperature_c,
       wx.humidity_pct AS weather_humidity_pct,
       wx.wind_speed_ms AS weather_wind_speed_ms,
       wx.solar_radiation_wm2 AS weather_solar_radiation_wm2,
       wx.precipitation_mm AS weather_precipitation_mm
  FROM aihub_feature_hours s
  LEFT JOIN entities e ON e.project_id = s.project_id AND e.entity_id = s.entity_id
  LEFT JOIN LATERAL (
  SELECT max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_mean,
           max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '24 hours') AS l24_mean,
           max(p.mean) FILTER (WHERE p.src = 1 AND p.bucket = p.hh - interval '168 hours') AS l168_mean,
           sum(p.sum) FILTER (WHERE p.in_r24) / nullif(sum(p.count) FILTER (WHERE p.in_r24), 0) AS r24_mean,
           CASE WHEN sum(p.count) FILTER (WHERE p.in_r24) >= 2
                THEN sqrt(greatest(sum(p.m2 + p.count * (p.mean - p.g24) ^ 2) FILTER (WHERE p.in_r24), 0) / (sum(p.count) FILTER (WHERE p.in_r24) - 1)) END AS r24_std,
           min(p.min) FILTER (WHERE p.in_r24) AS r24_min,
           max(p.max) FILTER (WHERE p.in_r24) AS r24_max,
           sum(p.sum) FILTER (WHERE p.in_r168) / nullif(sum(p.count) FILTER (WHERE p.in_r168), 0) AS r168_mean,
           CASE WHEN sum(p.count) FILTER (WHERE p.in_r168) >= 2
                THEN sqrt(greatest(sum(p.m2 + p.count * (p.mean - p.g168) ^ 2) FILTER (WHERE p.in_r168), 0) / (sum(p.count) FILTER (WHERE p.in_r168) - 1)) END AS r168_std
      FROM (
        SELECT q.*,
               sum(q.sum) FILTER (WHERE q.in_r24) OVER () / sum(q.count) FILTER (WHERE q.in_r24) OVER () AS g24,
               sum(q.sum) FILTER (WHERE q.in_r168) OVER () / sum(q.count) FILTER (WHERE q.in_r168) OVER () AS g168
          FROM (
            SELECT k.hh, u.src, u.bucket, u.count, u.sum, u.mean, u.m2, u.min, u.max,
                   (u.src = 0 AND u.bucket >= k.hh - interval '24 hours') AS in_r24,
                   (u.src IN (1, 2) OR (u.src = 0 AND u.bucket >= k.dd)) AS in_r168
              FROM (SELECT k0.hh, aihub_floor_day(k0.hh) AS dd, aihub_floor_day(k0.hh - interval '168 hours') + interval '1 day' AS ds168 FROM (SELECT aihub_floor_hour(s.as_of) AS hh OFFSET 0) k0 OFFSET 0) k
             CROSS JOIN LATERAL (
               SELECT 0 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket >= k.hh - interval '24 hours' AND h.bucket < k.hh
               UNION ALL
               SELECT 1 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket >= k.hh - interval '168 hours' AND h.bucket < k.ds168
               UNION ALL
               SELECT 2 AS src, d.bucket, d.count, d.sum, d.mean, d.m2, d.min, d.max
                 FROM daily_features d
                WHERE d.project_id = s.project_id AND d.entity_id = s.entity_id AND d.metric = s.metric
                  AND d.bucket >= k.ds168 AND d.bucket < k.dd
             ) u
          ) q
      ) p
  ) sf ON true
  LEFT JOIN LATERAL get_weather_features(s.project_id, e.location_id, s.as_of) wx ON true;

CREATE OR REPLACE VIEW "anomaly_detection_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       sf.l1_mean AS lag_1h,
       sf.l1_min AS last_hour_min,
       sf.l1_max AS last_hour_max,
       coalesce(sf.l1_count, 0) AS last_hour_count,
       sf.l1_mean - sf.l2_mean AS delta_1h,
       sf.r24_mean AS rolling_24h_mean,
       sf.r24_std AS rolling_24h_std,
       CASE WHEN sf.r24_std > 0 THEN (sf.l1_mean - sf.r24_mean) / sf.r24_std END AS zscore_24h,
       sf.r168_mean AS rolling_168h_mean,
       sf.r168_std AS rolling_168h_std
  FROM aihub_feature_hours s
  LEFT JOIN LATERAL (
  SELECT max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_mean,
           max(p.min) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_min,
           max(p.max) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_max,
           max(p.count) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '1 hours') AS l1_count,
           max(p.mean) FILTER (WHERE p.src = 0 AND p.bucket = p.hh - interval '2 hours') AS l2_mean,
           sum(p.sum) FILTER (WHERE p.in_r24) / nullif(sum(p.count) FILTER (WHERE p.in_r24), 0) AS r24_mean,
           CASE WHEN sum(p.count) FILTER (WHERE p.in_r24) >= 2
                THEN sqrt(greatest(sum(p.m2 + p.count * (p.mean - p.g24) ^ 2) FILTER (WHERE p.in_r24), 0) / (sum(p.count) FILTER (WHERE p.in_r24) - 1)) END AS r24_std,
           sum(p.sum) FILTER (WHERE p.in_r168) / nullif(sum(p.count) FILTER (WHERE p.in_r168), 0) AS r168_mean,
           CASE WHEN sum(p.count) FILTER (WHERE p.in_r168) >= 2
                THEN sqrt(greatest(sum(p.m2 + p.count * (p.mean - p.g168) ^ 2) FILTER (WHERE p.in_r168), 0) / (sum(p.count) FILTER (WHERE p.in_r168) - 1)) END AS r168_std
      FROM (
        SELECT q.*,
               sum(q.sum) FILTER (WHERE q.in_r24) OVER () / sum(q.count) FILTER (WHERE q.in_r24) OVER () AS g24,
               sum(q.sum) FILTER (WHERE q.in_r168) OVER () / sum(q.count) FILTER (WHERE q.in_r168) OVER () AS g168
          FROM (
            SELECT k.hh, u.src, u.bucket, u.count, u.sum, u.mean, u.m2, u.min, u.max,
                   (u.src = 0 AND u.bucket >= k.hh - interval '24 hours') AS in_r24,
                   (u.src IN (1, 2) OR (u.src = 0 AND u.bucket >= k.dd)) AS in_r168
              FROM (SELECT k0.hh, aihub_floor_day(k0.hh) AS dd, aihub_floor_day(k0.hh - interval '168 hours') + interval '1 day' AS ds168 FROM (SELECT aihub_floor_hour(s.as_of) AS hh OFFSET 0) k0 OFFSET 0) k
             CROSS JOIN LATERAL (
               SELECT 0 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket >= k.hh - interval '24 hours' AND h.bucket < k.hh
               UNION ALL
               SELECT 1 AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
                 FROM hourly_features h
                WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric AND h.bucket >= k.hh - interval '168 hours' AND h.bucket < k.ds168
               UNION ALL
               SELECT 2 AS src, d.bucket, d.count, d.sum, d.mean, d.m2, d.min, d.max
                 FROM daily_features d
                WHERE d.project_id = s.project_id AND d.entity_id = s.entity_id AND d.metric = s.metric
                  AND d.bucket >= k.ds168 AND d.bucket < k.dd
             ) u
          ) q
      ) p
  ) sf ON true;
