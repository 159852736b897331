import type { FeatureColumns, FeatureStatistics } from '@aihub/core';

/*
 * Messages between an export and its Parquet encoder thread. Rows travel column-wise in typed
 * arrays whose buffers are transferred, not copied: a batch of 10,000 rows is a handful of messages'
 * worth of work instead of 10,000 structured-cloned objects.
 */

export interface EncoderOptions {
  features: readonly string[];
  includeLabel: boolean;
  /** Bytes the encoder may produce ahead of what the output has taken. */
  windowBytes: number;
  /** The file's key-value metadata. */
  metadata: Record<string, string>;
}

/** What the encoder measured of the rows it wrote (feature-statistics.ts). */
export interface EncodedStatistics {
  rows: number;
  features: FeatureStatistics[];
}

/** Rows on their way to the encoder thread (FeatureColumns: a few typed arrays, transferred). */
export interface RowBatch extends FeatureColumns {
  kind: 'rows';
}

export type ToEncoder = RowBatch | { kind: 'ack'; bytes: number } | { kind: 'close' };
export type FromEncoder =
  | { kind: 'chunk'; data: Uint8Array }
  | { kind: 'appended' }
  | { kind: 'closed'; statistics: EncodedStatistics }
  | { kind: 'error'; message: string };

export function transferList(batch: FeatureColumns): ArrayBuffer[] {
  const list = [batch.asOf.buffer, batch.values.buffer, batch.nulls.buffer] as ArrayBuffer[];
  if (batch.labels && batch.labelNulls)
    list.push(batch.labels.buffer as ArrayBuffer, batch.labelNulls.buffer as ArrayBuffer);
  return list;
}
