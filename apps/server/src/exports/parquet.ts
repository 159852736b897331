import type { Writable } from 'node:stream';
import type { FeatureRow } from '@aihub/core';
import type { ParquetEnvelopeWriter } from '@dsnp/parquetjs';
import parquetTypes from '@dsnp/parquetjs/dist/gen-nodejs/parquet_types.js';
// The writer and schema modules, not the package's entry, which also loads the reader and its
// dependencies (~7.5 MiB more of the encoder thread's memory).
import parquetSchema from '@dsnp/parquetjs/dist/lib/schema.js';
import parquetUtil from '@dsnp/parquetjs/dist/lib/util.js';
import parquetWriter from '@dsnp/parquetjs/dist/lib/writer.js';

/*
 * The export file format of feature-spec.md: entity_id (UTF8), as_of (INT64 timestamp in
 * milliseconds, adjusted to UTC), the set's features in order (DOUBLE, optional), then
 * label_next_1h (DOUBLE, optional) when asked; key-value metadata describing the export.
 */

// Rows buffered per row group: bounds the writer's memory (about 20 columns x 8 bytes x this).
export const ROW_GROUP_SIZE = 50_000;

export function exportSchema(
  features: readonly string[],
  includeLabel: boolean,
): parquetSchema.ParquetSchema {
  const fields: Record<
    string,
    { type: 'UTF8' | 'TIMESTAMP_MILLIS' | 'DOUBLE'; optional?: boolean; compression: 'SNAPPY' }
  > = {
    entity_id: { type: 'UTF8', compression: 'SNAPPY' },
    as_of: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
  };
  for (const name of features) fields[name] = { type: 'DOUBLE', optional: true, compression: 'SNAPPY' };
  if (includeLabel) fields.label_next_1h = { type: 'DOUBLE', optional: true, compression: 'SNAPPY' };
  return new parquetSchema.ParquetSchema(fields);
}

/*
 * parquetjs 1.8.8 writes only the legacy ConvertedType of a column: as_of is INT64 with
 * TIMESTAMP_MILLIS, which DuckDB reads as a TIMESTAMP without time zone (and pyarrow as a naive
 * timestamp). Its schema options accept a `logicalType`, but its footer encoder (encodeFooter in
 * lib/writer.js) never copies it into the file, and no maintained pure-JS writer we could use on
 * Node 20 does better without replacing the whole encoder. So the footer is re-encoded once, at the
 * end of the file: it is decoded with parquetjs's own Thrift types, the timestamp columns get the
 * LogicalType TIMESTAMP(isAdjustedToUTC = true, unit = MILLIS) beside their ConvertedType (which
 * older readers keep using; the Parquet spec says the two agree), and it is serialized again.
 * Nothing else in the footer changes; the data pages are untouched.
 */
function withUtcTimestamps(footer: Buffer, columns: ReadonlySet<string>): Buffer {
  const length = footer.readUInt32LE(footer.length - 8);
  if (footer.toString('latin1', footer.length - 4) !== 'PAR1' || length !== footer.length - 8) {
    throw new Error('unexpected Parquet footer layout');
  }
  const metadata = new parquetTypes.FileMetaData();
  parquetUtil.decodeThrift(metadata, footer.subarray(0, length));
  for (const element of metadata.schema) {
    if (!columns.has(element.name)) continue;
    element.logicalType = new parquetTypes.LogicalType({
      TIMESTAMP: new parquetTypes.TimestampType({
        isAdjustedToUTC: true,
        unit: new parquetTypes.TimeUnit({ MILLIS: new parquetTypes.MilliSeconds() }),
      }),
    });
  }
  const encoded = parquetUtil.serializeThrift(metadata);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(encoded.length, 0);
  trailer.write('PAR1', 4, 'latin1');
  return Buffer.concat([encoded, trailer]);
}

/** Makes the envelope writer write its footer through withUtcTimestamps. */
export function writeUtcTimestamps(envelope: ParquetEnvelopeWriter, columns: ReadonlySet<string>) {
  const writeFooter = envelope.writeFooter.bind(envelope);
  envelope.writeFooter = (userMetadata) => {
    // writeFooter encodes the footer and hands it, synchronously, to one writeSection call.
    const writeSection = envelope.writeSection;
    envelope.writeSection = (footer) => writeSection.call(envelope, withUtcTimestamps(footer, columns));
    try {
      return writeFooter(userMetadata);
    } finally {
      envelope.writeSection = writeSection;
    }
  };
}

/** A writer of export rows into `output`; a null value is an absent optional field. */
export async function openExportWriter(
  output: Writable,
  features: readonly string[],
  includeLabel: boolean,
  metadata: Readonly<Record<string, string>> = {},
): Promise<{ append(rows: readonly FeatureRow[]): Promise<void>; close(): Promise<void> }> {
  // parquetjs types its sink as an fs.WriteStream but uses only write(buf, cb) and end(cb).
  const sink = output as unknown as Parameters<typeof parquetWriter.ParquetWriter.openStream>[1];
  const writer = await parquetWriter.ParquetWriter.openStream(exportSchema(features, includeLabel), sink, {
    rowGroupSize: ROW_GROUP_SIZE,
  });
  if (!writer.envelopeWriter) throw new Error('parquetjs opened a writer without an envelope');
  writeUtcTimestamps(writer.envelopeWriter, new Set(['as_of']));
  for (const [key, value] of Object.entries(metadata)) writer.setMetadata(key, value);
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
