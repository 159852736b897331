import type { FeatureRow } from './features.js';

/**
 * Feature rows column by column, as exports move them (PostgreSQL -> encoder thread -> Parquet):
 * a handful of typed arrays instead of one object, one Date and one array per row. `values` is
 * row-major, `width` (the request's features, in order) per row; where `nulls` is 1 the value is
 * absent (and its slot in `values` is 0). `labels`/`labelNulls` likewise, when labels were asked for.
 */
export interface FeatureColumns {
  entityIds: string[];
  /** Epoch milliseconds. */
  asOf: Float64Array;
  values: Float64Array;
  nulls: Uint8Array;
  labels: Float64Array | null;
  labelNulls: Uint8Array | null;
}

/** Columns for `rows` rows of `width` features, all absent until set. */
export function allocateFeatureColumns(rows: number, width: number, includeLabel: boolean): FeatureColumns {
  return {
    entityIds: new Array(rows),
    asOf: new Float64Array(rows),
    values: new Float64Array(rows * width),
    nulls: new Uint8Array(rows * width).fill(1),
    labels: includeLabel ? new Float64Array(rows) : null,
    labelNulls: includeLabel ? new Uint8Array(rows).fill(1) : null,
  };
}

/** The first `rows` rows of `columns` (a view of the same memory when nothing is cut). */
export function truncateFeatureColumns(columns: FeatureColumns, rows: number, width: number): FeatureColumns {
  if (rows === columns.entityIds.length) return columns;
  return {
    entityIds: columns.entityIds.slice(0, rows),
    asOf: columns.asOf.slice(0, rows),
    values: columns.values.slice(0, rows * width),
    nulls: columns.nulls.slice(0, rows * width),
    labels: columns.labels?.slice(0, rows) ?? null,
    labelNulls: columns.labelNulls?.slice(0, rows) ?? null,
  };
}

export function packFeatureRows(
  rows: readonly FeatureRow[],
  width: number,
  includeLabel: boolean,
): FeatureColumns {
  const n = rows.length;
  const columns = allocateFeatureColumns(n, width, includeLabel);
  for (let r = 0; r < n; r++) {
    const row = rows[r] as FeatureRow;
    columns.entityIds[r] = row.entityId;
    columns.asOf[r] = row.asOf.getTime();
    for (let f = 0; f < width; f++) {
      const value = row.values[f];
      if (value !== null && value !== undefined) {
        columns.values[r * width + f] = value;
        columns.nulls[r * width + f] = 0;
      }
    }
    if (columns.labels && columns.labelNulls) {
      const label = row.label;
      if (label !== null && label !== undefined) {
        columns.labels[r] = label;
        columns.labelNulls[r] = 0;
      }
    }
  }
  return columns;
}

export function unpackFeatureColumns(columns: FeatureColumns, width: number): FeatureRow[] {
  const rows: FeatureRow[] = new Array(columns.entityIds.length);
  for (let r = 0; r < rows.length; r++) {
    const values: (number | null)[] = new Array(width);
    for (let f = 0; f < width; f++) {
      values[f] = columns.nulls[r * width + f] ? null : (columns.values[r * width + f] as number);
    }
    const row: FeatureRow = {
      entityId: columns.entityIds[r] as string,
      asOf: new Date(columns.asOf[r] as number),
      values,
    };
    if (columns.labels && columns.labelNulls) {
      row.label = columns.labelNulls[r] ? null : (columns.labels[r] as number);
    }
    rows[r] = row;
  }
  return rows;
}
