import { jobRecordSql } from './job-records.js';

// Raw SQL of the prediction batch records (bigint counters cast to float8 so they map to numbers).

export const batchColumns = `
  id, project_id, status::text AS status, model_version_id, model_name, model_version, params,
  rows_written::float8 AS rows_written, total_rows::float8 AS total_rows, bytes::float8 AS bytes,
  sha256, object_key, error, warnings, created_by, created_at, started_at, finished_at, heartbeat_at`;

export const insertBatchSql = `
  INSERT INTO prediction_batches (project_id, model_version_id, model_name, model_version, params, total_rows,
                                  spine, created_by, warnings)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  RETURNING ${batchColumns}`;

// Newest first; the cursor is the last id of the previous page, compared by (created_at, id).
export const listBatchesSql = `
  SELECT ${batchColumns} FROM prediction_batches
   WHERE project_id = $1
     AND ($2::export_status IS NULL OR status = $2::export_status)
     AND ($3::text IS NULL OR model_name = $3)
     AND ($4::timestamptz IS NULL OR created_at >= $4)
     AND ($5::timestamptz IS NULL OR created_at < $5)
     AND ($6::uuid IS NULL OR (created_at, id) < (
           SELECT created_at, id FROM prediction_batches WHERE id = $6::uuid AND project_id = $1))
   ORDER BY created_at DESC, id DESC
   LIMIT $7`;

export const batchTransitions = jobRecordSql('prediction_batches', batchColumns);
