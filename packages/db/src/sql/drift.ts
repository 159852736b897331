// Raw SQL of drift reports: the served vectors come from the partitioned ai_features table (which
// the ORM does not model), and a report's per-feature rows go in with unnest() in one statement.

export const servedVectorsSql = `
  SELECT feature_values FROM ai_features
   WHERE project_id = $1 AND feature_set = $2 AND feature_set_version = $3 AND metric = $4
     AND as_of >= $5 AND as_of < $6`;

export const insertDriftReportSql = `
  INSERT INTO feature_drift_reports
    (project_id, model_version_id, export_id, feature_set, feature_set_version, metric,
     window_start, window_end, served_vectors, flagged_features, trigger)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  RETURNING id, created_at`;

export const insertFeatureDriftSql = `
  INSERT INTO feature_drift
    (report_id, position, feature, psi, training_null_fraction, served_null_fraction, null_fraction_change,
     served_count, flagged)
  SELECT $1, s.* FROM unnest($2::int[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
                             $8::int[], $9::boolean[]) AS s`;

export const driftHistorySql = `
  SELECT r.id, r.model_version_id, r.export_id, r.feature_set, r.feature_set_version, r.metric,
         r.window_start, r.window_end, r.served_vectors, r.trigger, r.created_at,
         COALESCE(array_agg(d.feature ORDER BY d.position) FILTER (WHERE d.flagged), '{}') AS flagged
    FROM feature_drift_reports r
    LEFT JOIN feature_drift d ON d.report_id = r.id
   WHERE r.project_id = $1 AND r.model_version_id = $2
   GROUP BY r.id
   ORDER BY r.created_at DESC, r.id DESC
   LIMIT $3`;

export const productionVersionsWithExportsSql = `
  SELECT project_id, id AS version_id FROM model_versions
   WHERE stage = 'production' AND status = 'ready' AND export_id IS NOT NULL`;
