/*
 * The status transitions of a durable job's record (training-set exports, prediction batches): a
 * table with id, project_id, status (export_status), rows_written, heartbeat_at, error and the
 * timestamps. Conditional updates (WHERE status = ...), so racing workers, sweeps and cancels agree.
 * `table` and `columns` are constants of this package, never input.
 */
export function jobRecordSql(table: string, columns: string) {
  return {
    cancel: `
  UPDATE ${table} SET status = 'cancelled', finished_at = now(), error = 'cancelled by request'
   WHERE project_id = $1 AND id = $2 AND status IN ('queued', 'running')
  RETURNING ${columns}`,
    claim: `
  UPDATE ${table} SET status = 'running', started_at = now(), heartbeat_at = now()
   WHERE id = $1 AND status = 'queued'
  RETURNING ${columns}`,
    heartbeat: `
  UPDATE ${table} SET rows_written = $2, heartbeat_at = now() WHERE id = $1 AND status = 'running'`,
    succeed: `
  UPDATE ${table}
     SET status = 'succeeded', rows_written = $2, bytes = $3, sha256 = $4, object_key = $5,
         finished_at = now(), heartbeat_at = now()
   WHERE id = $1 AND status = 'running'`,
    fail: `
  UPDATE ${table} SET status = 'failed', error = $2, finished_at = now()
   WHERE id = $1 AND status IN ('queued', 'running')`,
    failStale: `
  UPDATE ${table} SET status = 'failed', error = $2, finished_at = now()
   WHERE status = 'running' AND heartbeat_at < $1
  RETURNING ${columns}`,
  };
}
