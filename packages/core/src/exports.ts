import { z } from 'zod';
import type { ExportStatistics, FeatureStatistics } from './feature-statistics.js';
import type { SpineRow } from './feature-store-port.js';

/*
 * Training-set exports: a durable job that streams a spine's feature rows into one Parquet object.
 * The record's life: queued -> running -> succeeded | failed | cancelled (queued may be cancelled too).
 */

export const ExportStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type ExportStatus = z.infer<typeof ExportStatusSchema>;

/** The rows of an export or a prediction batch: a range (entities x hours) or a stored spine. */
export const RowSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('range'),
    /** null: every entity with readings of the metric, resolved when the export was created. */
    entityIds: z.array(z.string()).nullable(),
    resolvedEntities: z.number().int(),
    start: z.iso.datetime(),
    end: z.iso.datetime(),
  }),
  z.object({ kind: z.literal('spine'), rows: z.number().int() }),
]);
export type RowSource = z.infer<typeof RowSourceSchema>;

/** The exact request, stored with the record (the spine itself is stored apart). */
export const ExportParamsSchema = z.object({
  featureSet: z.string(),
  version: z.number().int(),
  metric: z.string(),
  features: z.array(z.string()),
  includeLabel: z.boolean(),
  source: RowSourceSchema,
});
export type ExportParams = z.infer<typeof ExportParamsSchema>;

export interface FeatureExport {
  id: string;
  projectId: string;
  status: ExportStatus;
  featureSet: string;
  featureSetVersion: number;
  metric: string;
  params: ExportParams;
  rowsWritten: number;
  totalRows: number | null;
  bytes: number | null;
  sha256: string | null;
  objectKey: string | null;
  error: string | null;
  /** Said when the export was created, e.g. that most rows have no readings; it still runs. */
  warnings: string[];
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
}

export interface ExportListFilter {
  status?: ExportStatus | undefined;
  featureSet?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  /** The id of the last export of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

export interface NewExport {
  projectId: string;
  params: ExportParams;
  totalRows: number;
  /** The spine of a spine export; the worker reads it back. */
  spine: readonly SpineRow[] | null;
  warnings?: readonly string[];
  createdBy: string;
}

/**
 * The records of a durable job (training-set exports, prediction batches): queued -> running ->
 * succeeded | failed | cancelled. Worker methods take no project: job ids are global.
 */
export interface JobRecordRepository<T, New, Filter> {
  create(input: New): Promise<T>;
  /** NOT_FOUND unless the record belongs to the project. */
  get(projectId: string, id: string): Promise<T>;
  /** Newest first; `nextCursor` is null on the last page. */
  list(projectId: string, filter: Filter): Promise<{ items: T[]; nextCursor: string | null }>;
  /** queued|running -> cancelled. CONFLICT when it already finished. */
  cancel(projectId: string, id: string): Promise<T>;
  /** queued -> running for the worker; null when it is no longer queued (cancelled, or taken). */
  claim(id: string): Promise<T | null>;
  spine(id: string): Promise<SpineRow[]>;
  /** Heartbeat with progress; false when the record is no longer running (cancelled or swept). */
  heartbeat(id: string, rowsWritten: number): Promise<boolean>;
  /** queued|running -> failed with the reason. */
  fail(id: string, error: string): Promise<void>;
  /** running records whose heartbeat is older than `before` -> failed; returns them. */
  failStale(before: Date, reason: string): Promise<T[]>;
}

/** Export records. Implemented in @aihub/db. */
export interface ExportRepository extends JobRecordRepository<FeatureExport, NewExport, ExportListFilter> {
  /** running -> succeeded, with the statistics of its rows; false when it was cancelled meanwhile. */
  succeed(
    id: string,
    result: { rowsWritten: number; bytes: number; sha256: string; objectKey: string },
    statistics: { sketch: string; features: readonly FeatureStatistics[] },
  ): Promise<boolean>;
  /** The per-feature statistics of a succeeded export; null for any other. */
  statistics(projectId: string, id: string): Promise<ExportStatistics | null>;
}
