import type { Writable } from 'node:stream';
import type { FeatureRow } from '@aihub/core';
import parquet from '@dsnp/parquetjs';
import { writeUtcTimestamps } from '../exports/parquet.js';

/*
 * The file of a prediction batch: entity_id (UTF8), as_of (INT64 timestamp in milliseconds,
 * adjusted to UTC, as in exports), prediction (DOUBLE, optional: absent when the model answered
 * NaN/Infinity), model_version (INT32, the version number), then, when asked, the model's input
 * features as they came from the offline store (DOUBLE, optional; before imputation).
 * Key-value metadata describes the batch. Written on the job's thread: a batch's rows cost the
 * model run and the offline query more than the encoding.
 */

// Rows buffered per row group: bounds the writer's memory.
const ROW_GROUP_SIZE = 50_000;

export interface BatchWriter {
  append(rows: readonly FeatureRow[], predictions: readonly number[], modelVersion: number): Promise<void>;
  /** Writes the footer and ends the output. */
  close(): Promise<void>;
}

export async function openBatchWriter(
  output: Writable,
  features: readonly string[],
  metadata: Readonly<Record<string, string>>,
): Promise<BatchWriter> {
  const fields: Record<
    string,
    { type: 'UTF8' | 'TIMESTAMP_MILLIS' | 'DOUBLE' | 'INT32'; optional?: boolean; compression: 'SNAPPY' }
  > = {
    entity_id: { type: 'UTF8', compression: 'SNAPPY' },
    as_of: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
    prediction: { type: 'DOUBLE', optional: true, compression: 'SNAPPY' },
    model_version: { type: 'INT32', compression: 'SNAPPY' },
  };
  for (const name of features) fields[name] = { type: 'DOUBLE', optional: true, compression: 'SNAPPY' };
  // parquetjs types its sink as an fs.WriteStream but uses only write(buf, cb) and end(cb).
  const sink = output as unknown as Parameters<typeof parquet.ParquetWriter.openStream>[1];
  const writer = await parquet.ParquetWriter.openStream(new parquet.ParquetSchema(fields), sink, {
    rowGroupSize: ROW_GROUP_SIZE,
  });
  if (!writer.envelopeWriter) throw new Error('parquetjs opened a writer without an envelope');
  writeUtcTimestamps(writer.envelopeWriter, new Set(['as_of']));
  for (const [key, value] of Object.entries(metadata)) writer.setMetadata(key, value);
  return {
    async append(rows, predictions, modelVersion) {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as FeatureRow;
        const record: Record<string, unknown> = {
          entity_id: row.entityId,
          as_of: row.asOf,
          model_version: modelVersion,
        };
        const prediction = predictions[i];
        if (prediction !== undefined && Number.isFinite(prediction)) record.prediction = prediction;
        for (let j = 0; j < features.length; j++) {
          const value = row.values[j];
          if (value !== null && value !== undefined) record[features[j] as string] = value;
        }
        await writer.appendRow(record);
      }
    },
    close: () => writer.close(),
  };
}
