-- SQL views of the predefined feature sets (issue 15), for analysts and BI tools:
--   SELECT * FROM forecast_basic_features
--    WHERE project_id = '<project uuid>' AND entity_id = 'meter-1' AND metric = 'kwh'
--      AND as_of >= '2026-11-01T00:00:00Z' AND as_of < '2026-11-02T00:00:00Z';
-- One row per (project_id, entity_id, metric, as_of) with the set's columns named and ordered as in
-- feature-spec.md. Values are those of features.offline for the same (entity, metric, as_of hour):
-- the views call the same SQL functions (get_lag_features, get_rolling_features,
-- get_weather_features) with the same arguments, and compute calendar features and the derived
-- ones (delta_1h, zscore_24h, last_hour_count) with the same expressions. Calendar features and
-- last_hour_count are integers here (double in the API); the values are equal.
--
-- Which hours: every whole UTC hour from the hour after an entity's first hourly bucket of the
-- metric up to the current hour (or the hour after its last bucket, if later); hours without
-- readings inside that span are rows too (with null lags and rolling statistics over what remains),
-- exactly as a range request of features.offline gives them.
--
-- Why views and not set-returning functions: filters push down. Every condition on project_id,
-- entity_id and metric reaches the DISTINCT over daily_features (its primary key's leading
-- columns) and the min/max lookups on hourly_features' primary key; a condition on as_of filters
-- the generated hours before any feature is computed, and each remaining hour's features are
-- primary-key lookups (the functions are inlined). Filtering by project, entity and an as-of range
-- therefore computes only the hours asked for; without an entity filter, every entity of the
-- project is enumerated (cheaply) but still only the hours in the range are computed.

-- The rows of every view: (project, entity, metric, as-of hour).
CREATE VIEW "aihub_feature_hours" AS
SELECT s.project_id, s.entity_id, s.metric, g.as_of
  FROM (SELECT DISTINCT d.project_id, d.entity_id, d.metric FROM daily_features d) s
 CROSS JOIN LATERAL (
   SELECT (SELECT min(h.bucket) FROM hourly_features h
            WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric) AS first_bucket,
          (SELECT max(h.bucket) FROM hourly_features h
            WHERE h.project_id = s.project_id AND h.entity_id = s.entity_id AND h.metric = s.metric) AS last_bucket
 ) b
 CROSS JOIN LATERAL generate_series(
   b.first_bucket + interval '1 hour',
   greatest(b.last_bucket + interval '1 hour', aihub_floor_hour(now())),
   interval '1 hour'
 ) AS g(as_of);

CREATE VIEW "forecast_basic_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       l1.mean AS lag_1h,
       l24.mean AS lag_24h,
       l168.mean AS lag_168h,
       extract(hour FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS hour_of_day,
       extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS day_of_week,
       CASE WHEN extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC')) >= 6 THEN 1 ELSE 0 END AS is_weekend
  FROM aihub_feature_hours s
  LEFT JOIN entities e ON e.project_id = s.project_id AND e.entity_id = s.entity_id
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 1) l1 ON true
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 24) l24 ON true
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 168) l168 ON true;

CREATE VIEW "forecast_advanced_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       l1.mean AS lag_1h,
       l24.mean AS lag_24h,
       l168.mean AS lag_168h,
       extract(hour FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS hour_of_day,
       extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS day_of_week,
       CASE WHEN extract(isodow FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC')) >= 6 THEN 1 ELSE 0 END AS is_weekend,
       extract(month FROM s.as_of AT TIME ZONE coalesce(e.timezone, 'UTC'))::integer AS month,
       r24.mean AS rolling_24h_mean,
       r24.std AS rolling_24h_std,
       r24.min AS rolling_24h_min,
       r24.max AS rolling_24h_max,
       r168.mean AS rolling_168h_mean,
       r168.std AS rolling_168h_std,
       wx.temperature_c AS weather_temperature_c,
       wx.humidity_pct AS weather_humidity_pct,
       wx.wind_speed_ms AS weather_wind_speed_ms,
       wx.solar_radiation_wm2 AS weather_solar_radiation_wm2,
       wx.precipitation_mm AS weather_precipitation_mm
  FROM aihub_feature_hours s
  LEFT JOIN entities e ON e.project_id = s.project_id AND e.entity_id = s.entity_id
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 1) l1 ON true
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 24) l24 ON true
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 168) l168 ON true
  LEFT JOIN LATERAL get_rolling_features(s.project_id, s.metric, s.entity_id, s.as_of, 24) r24 ON true
  LEFT JOIN LATERAL get_rolling_features(s.project_id, s.metric, s.entity_id, s.as_of, 168) r168 ON true
  LEFT JOIN LATERAL get_weather_features(s.project_id, e.location_id, s.as_of) wx ON true;

CREATE VIEW "anomaly_detection_features" AS
SELECT s.project_id, s.entity_id, s.metric, s.as_of,
       l1.mean AS lag_1h,
       l1.min AS last_hour_min,
       l1.max AS last_hour_max,
       coalesce(l1.count, 0) AS last_hour_count,
       l1.mean - l2.mean AS delta_1h,
       r24.mean AS rolling_24h_mean,
       r24.std AS rolling_24h_std,
       CASE WHEN r24.std > 0 THEN (l1.mean - r24.mean) / r24.std END AS zscore_24h,
       r168.mean AS rolling_168h_mean,
       r168.std AS rolling_168h_std
  FROM aihub_feature_hours s
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 1) l1 ON true
  LEFT JOIN LATERAL get_lag_features(s.project_id, s.metric, s.entity_id, s.as_of, 2) l2 ON true
  LEFT JOIN LATERAL get_rolling_features(s.project_id, s.metric, s.entity_id, s.as_of, 24) r24 ON true
  LEFT JOIN LATERAL get_rolling_features(s.project_id, s.metric, s.entity_id, s.as_of, 168) r168 ON true;
