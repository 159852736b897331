import type { ExportStatus } from '@aihub/core';

/** The columns every durable job table (feature_exports, prediction_batches) has, as pg returns them. */
export interface JobRow {
  id: string;
  project_id: string;
  status: ExportStatus;
  params: unknown;
  rows_written: number;
  total_rows: number | null;
  bytes: number | null;
  sha256: string | null;
  object_key: string | null;
  error: string | null;
  warnings: string[];
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
}
