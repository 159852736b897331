// Raw SQL of anomaly flags: a scored hour's flags replaced in one statement pair (delete, then an
// upsert through unnest()), keyset pages over (hour, id), and the opted-in versions read from the
// metadata JSON, none of which the ORM expresses.

export const deleteScoredFlagsSql = `
  DELETE FROM anomaly_flags
   WHERE model_version_id = $1 AND hour = $2 AND entity_id = ANY($3::text[])`;

// ON CONFLICT: two runs of the same hour at once still leave one row per (version, entity, hour).
export const insertFlagsSql = `
  INSERT INTO anomaly_flags
    (project_id, model_version_id, metric, hour, entity_id, actual, expected, residual, std, threshold)
  SELECT $1, $2, $3, $4, s.* FROM unnest($5::text[], $6::float8[], $7::float8[], $8::float8[], $9::float8[],
                                         $10::float8[]) AS s
  ON CONFLICT (model_version_id, entity_id, hour) DO UPDATE
     SET actual = EXCLUDED.actual, expected = EXCLUDED.expected, residual = EXCLUDED.residual,
         std = EXCLUDED.std, threshold = EXCLUDED.threshold, detected_at = now()`;

// Newest hour first; the cursor is the last id of the previous page, compared by (hour, id).
export const listFlagsSql = `
  SELECT f.id, f.model_version_id AS "modelVersionId", m.name AS "modelName", v.version,
         f.entity_id AS "entityId", f.metric, f.hour, f.actual, f.expected, f.residual, f.std, f.threshold,
         f.detected_at AS "detectedAt"
    FROM anomaly_flags f
    JOIN model_versions v ON v.id = f.model_version_id
    JOIN registered_models m ON m.id = v.model_id
   WHERE f.project_id = $1
     AND ($2::text IS NULL OR m.name = $2)
     AND ($3::text IS NULL OR f.entity_id = $3)
     AND ($4::timestamptz IS NULL OR f.hour >= $4)
     AND ($5::timestamptz IS NULL OR f.hour < $5)
     AND ($6::uuid IS NULL OR (f.hour, f.id) < (
           SELECT hour, id FROM anomaly_flags WHERE id = $6::uuid AND project_id = $1))
   ORDER BY f.hour DESC, f.id DESC
   LIMIT $7`;

export const optedInVersionsSql = `
  SELECT project_id, id AS version_id FROM model_versions
   WHERE stage = 'production' AND status = 'ready' AND format = 'onnx'
     AND metadata ? 'anomalies' AND metadata->'anomalies' NOT IN ('false'::jsonb, 'null'::jsonb)
   ORDER BY project_id, id`;

// Retention (applyRetention): flags of hours before the cutoff.
export const deleteFlagsBeforeSql = `DELETE FROM anomaly_flags WHERE hour < $1`;
