import type { Writable } from 'node:stream';
import type { FeatureRow } from '@aihub/core';
import type { ParquetSchema } from '@dsnp/parquetjs';
import parquet from '@dsnp/parquetjs';

/*
 * The export file format of feature-spec.md: entity_id (UTF8), as_of (TIMESTAMP_MILLIS, UTC), the
 * set's features in order (DOUBLE, optional), then label_next_1h (DOUBLE, optional) when asked.
 */

// Rows buffered per row group: bounds the writer's memory (about 20 columns x 8 bytes x this).
export const ROW_GROUP_SIZE = 50_000;

export function exportSchema(features: readonly string[], includeLabel: boolean): ParquetSchema {
  const fields: Record<
    string,
    { type: 'UTF8' | 'TIMESTAMP_MILLIS' | 'DOUBLE'; optional?: boolean; compression: 'SNAPPY' }
  > = {
    entity_id: { type: 'UTF8', compression: 'SNAPPY' },
    as_of: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
  };
  for (const name of features) fields[name] = { type: 'DOUBLE', optional: true, compression: 'SNAPPY' };
  if (includeLabel) fields.label_next_1h = { type: 'DOUBLE', optional: true, compression: 'SNAPPY' };
  return new parquet.ParquetSchema(fields);
}

/** A writer of export rows into `output`; a null value is an absent optional field. */
export async function openExportWriter(
  output: Writable,
  features: readonly string[],
  includeLabel: boolean,
): Promise<{ append(rows: readonly FeatureRow[]): Promise<void>; close(): Promise<void> }> {
  // parquetjs types its sink as an fs.WriteStream but uses only write(buf, cb) and end(cb).
  const sink = output as unknown as Parameters<typeof parquet.ParquetWriter.openStream>[1];
  const writer = await parquet.ParquetWriter.openStream(exportSchema(features, includeLabel), sink, {
    rowGroupSize: ROW_GROUP_SIZE,
  });
  return {
    async append(rows) {
      for (const row of rows) {
        const record: Record<string, unknown> = { entity_id: row.entityId, as_of: row.asOf };
        for (let i = 0; i < features.length; i++) {
          const value = row.values[i];
          if (value !== null && value !== undefined) record[features[i] as string] = value;
        }
        if (includeLabel && row.label !== null && row.label !== undefined) record.label_next_1h = row.label;
        await writer.appendRow(record);
      }
    },
    close: () => writer.close(),
  };
}
