import type { FeatureRow, FeatureStatistics } from '@aihub/core';

/*
 * Messages between an export and its Parquet encoder thread. Rows travel column-wise in typed
 * arrays whose buffers are transferred, not copied: a batch of 5,000 rows is a handful of messages'
 * worth of work instead of 5,000 structured-cloned objects.
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

export interface RowBatch {
  kind: 'rows';
  entityIds: string[];
  /** Epoch milliseconds. */
  asOf: Float64Array;
  /** Row-major, `features.length` per row; where `nulls` is 1 the value is absent. */
  values: Float64Array;
  nulls: Uint8Array;
  labels: Float64Array | null;
  labelNulls: Uint8Array | null;
}

export type ToEncoder = RowBatch | { kind: 'ack'; bytes: number } | { kind: 'close' };
export type FromEncoder =
  | { kind: 'chunk'; data: Uint8Array }
  | { kind: 'appended' }
  | { kind: 'closed'; statistics: EncodedStatistics }
  | { kind: 'error'; message: string };

export function packRows(rows: readonly FeatureRow[], width: number, includeLabel: boolean): RowBatch {
  const n = rows.length;
  const batch: RowBatch = {
    kind: 'rows',
    entityIds: new Array(n),
    asOf: new Float64Array(n),
    values: new Float64Array(n * width),
    nulls: new Uint8Array(n * width),
    labels: includeLabel ? new Float64Array(n) : null,
    labelNulls: includeLabel ? new Uint8Array(n) : null,
  };
  for (let r = 0; r < n; r++) {
    const row = rows[r] as FeatureRow;
    batch.entityIds[r] = row.entityId;
    batch.asOf[r] = row.asOf.getTime();
    for (let f = 0; f < width; f++) {
      const value = row.values[f];
      if (value === null || value === undefined) batch.nulls[r * width + f] = 1;
      else batch.values[r * width + f] = value;
    }
    if (batch.labels && batch.labelNulls) {
      const label = row.label;
      if (label === null || label === undefined) batch.labelNulls[r] = 1;
      else batch.labels[r] = label;
    }
  }
  return batch;
}

export function transferList(batch: RowBatch): ArrayBuffer[] {
  const list = [batch.asOf.buffer, batch.values.buffer, batch.nulls.buffer] as ArrayBuffer[];
  if (batch.labels && batch.labelNulls)
    list.push(batch.labels.buffer as ArrayBuffer, batch.labelNulls.buffer as ArrayBuffer);
  return list;
}
