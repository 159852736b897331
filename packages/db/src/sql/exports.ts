import { jobRecordSql } from './job-records.js';

// Raw SQL of the export records: bigint counters cast to float8 so they map to numbers, and
// conditional status transitions (WHERE status = ...) that the ORM cannot express atomically.

export const exportColumns = `
  id, project_id, status::text AS status, feature_set, feature_set_version, metric, params,
  rows_written::float8 AS rows_written, total_rows::float8 AS total_rows, bytes::float8 AS bytes,
  sha256, object_key, error, warnings, created_by, created_at, started_at, finished_at, heartbeat_at`;

export const insertExportSql = `
  INSERT INTO feature_exports (project_id, feature_set, feature_set_version, metric, params, total_rows, spine, created_by, warnings)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  RETURNING ${exportColumns}`;

// Newest first; the cursor is the last id of the previous page, compared by (created_at, id).
export const listExportsSql = `
  SELECT ${exportColumns} FROM feature_exports e
   WHERE project_id = $1
     AND ($2::export_status IS NULL OR status = $2::export_status)
     AND ($3::text IS NULL OR feature_set = $3)
     AND ($4::timestamptz IS NULL OR created_at >= $4)
     AND ($5::timestamptz IS NULL OR created_at < $5)
     AND ($6::uuid IS NULL OR (created_at, id) < (
           SELECT created_at, id FROM feature_exports WHERE id = $6::uuid AND project_id = $1))
   ORDER BY created_at DESC, id DESC
   LIMIT $7`;

const transitions = jobRecordSql('feature_exports', exportColumns);
export const cancelExportSql = transitions.cancel;
export const claimExportSql = transitions.claim;
export const heartbeatExportSql = transitions.heartbeat;
export const succeedExportSql = transitions.succeed;
export const failExportSql = transitions.fail;
export const failStaleExportsSql = transitions.failStale;
