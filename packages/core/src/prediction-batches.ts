import { z } from 'zod';
import { type ExportStatus, type JobRecordRepository, RowSourceSchema } from './exports.js';
import type { SpineRow } from './feature-store-port.js';

/*
 * Batch predictions: a durable job like a training-set export (same statuses, heartbeat, sweep,
 * cancel) that runs one registered model over the point-in-time feature vectors of a spine or a
 * range and writes one Parquet object: entity_id, as_of, prediction, model_version (+ features).
 * The model version is resolved once, when the batch is created, and recorded.
 */

export const PredictionBatchParamsSchema = z.object({
  /** The reference as the caller gave it (`load-forecast@production`), for the record. */
  modelRef: z.string(),
  featureSet: z.string(),
  version: z.number().int(),
  metric: z.string(),
  /** The model's input columns: its lineage set's features, in order. */
  features: z.array(z.string()),
  includeFeatures: z.boolean(),
  source: RowSourceSchema,
});
export type PredictionBatchParams = z.infer<typeof PredictionBatchParamsSchema>;

export interface PredictionBatch {
  id: string;
  projectId: string;
  status: ExportStatus;
  model: { id: string; name: string; version: number };
  params: PredictionBatchParams;
  rowsWritten: number;
  totalRows: number | null;
  bytes: number | null;
  sha256: string | null;
  objectKey: string | null;
  error: string | null;
  warnings: string[];
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
}

export interface PredictionBatchListFilter {
  status?: ExportStatus | undefined;
  /** Batches of this model (any version). */
  model?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  /** The id of the last batch of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

export interface NewPredictionBatch {
  projectId: string;
  model: { id: string; name: string; version: number };
  params: PredictionBatchParams;
  totalRows: number;
  spine: readonly SpineRow[] | null;
  warnings?: readonly string[];
  createdBy: string;
}

/** Prediction batch records. Implemented in @aihub/db. */
export interface PredictionBatchRepository
  extends JobRecordRepository<PredictionBatch, NewPredictionBatch, PredictionBatchListFilter> {
  /** running -> succeeded; false when it was cancelled meanwhile. */
  succeed(
    id: string,
    result: { rowsWritten: number; bytes: number; sha256: string; objectKey: string },
  ): Promise<boolean>;
}
