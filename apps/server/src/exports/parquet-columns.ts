import type { Writable } from 'node:stream';
import type { FeatureColumns } from '@aihub/core';
import type { ParquetField } from '@dsnp/parquetjs';
import parquetTypes from '@dsnp/parquetjs/dist/gen-nodejs/parquet_types.js';
import parquetCodecs from '@dsnp/parquetjs/dist/lib/codec/index.js';
import parquetCompression from '@dsnp/parquetjs/dist/lib/compression.js';
import type { Page } from '@dsnp/parquetjs/dist/lib/declare.js';
import parquetPrimitives from '@dsnp/parquetjs/dist/lib/types.js';
import parquetUtil from '@dsnp/parquetjs/dist/lib/util.js';
import parquetWriter from '@dsnp/parquetjs/dist/lib/writer.js';
import { exportSchema, ROW_GROUP_SIZE, writeUtcTimestamps } from './parquet.js';

/*
 * A column-wise front end to parquetjs's writer, for the export encoder thread (encoder-worker.ts).
 * parquetjs takes one record object per row and shreds it into per-column arrays (shredRecord):
 * in a CPU profile of its row writer on export rows, that shredding and its garbage were about 60 %
 * of the encoding time. Export rows already travel column-wise (typed arrays, encoder-protocol.ts),
 * so this module builds each data page straight from them — what parquetjs's encodeDataPageV2
 * does for the same values: PLAIN values, RLE definition levels, snappy, a v2 page header with the
 * page's statistics — and hands the pages to parquetjs's own ParquetEnvelopeWriter.writeRowGroup,
 * which lays out the column chunks, page indexes and footer as for its row writer. parquetjs has
 * no column-wise API (its page encoder is internal), hence these ~100 lines over its own codecs,
 * compression and Thrift types. Pages split where parquetjs's writer splits them (every pageSize
 * rows within a row group of ROW_GROUP_SIZE rows). parquet-columns.test.ts checks that the data
 * pages and column chunks are byte for byte those of parquetjs's row writer for the same rows.
 * Two differences, both corrections: a page's first_row_index in the offset index is its real
 * first row (parquetjs 1.8.8 writes 0 for every page: it adds an undefined page count), and
 * as_of's distinct_count counts distinct times (parquetjs counts the Date objects it was given).
 */

type Field = ParquetField;

/** A page's values as parquetjs's column chunk encoder reads them (raw, not yet encoded). */
interface RawStatistics {
  min_value?: unknown;
  max_value?: unknown;
  null_count: number;
  distinct_count: number;
}

function encodeStatisticsValue(value: unknown, field: Field): Buffer {
  let primitive = value;
  if (field.originalType) primitive = parquetPrimitives.toPrimitive(field.originalType, value, field);
  if (field.primitiveType !== 'BYTE_ARRAY') {
    return parquetCodecs.PLAIN.encodeValues(
      field.primitiveType as string,
      [primitive],
      field as never,
    ) as Buffer;
  }
  return primitive as Buffer;
}

/** The page header's statistics, as parquetjs encodes them (min/max plain-encoded, both spellings). */
function headerStatistics(statistics: RawStatistics, field: Field) {
  const min = statistics.min_value === undefined ? null : encodeStatisticsValue(statistics.min_value, field);
  const max = statistics.max_value === undefined ? null : encodeStatisticsValue(statistics.max_value, field);
  return new parquetTypes.Statistics({
    min_value: min as Buffer,
    max_value: max as Buffer,
    min: min as Buffer,
    max: max as Buffer,
    // Thrift's compact protocol writes a number as an i64 exactly as it writes an Int64.
    null_count: statistics.null_count as never,
    distinct_count: statistics.distinct_count as never,
  });
}

/** Min and max over the distinct values in insertion order, compared as parquetjs compares them. */
function minMax(distinct: Set<number> | Set<string>, statistics: RawStatistics) {
  let first = true;
  for (const v of distinct as Set<number>) {
    if (first) {
      statistics.min_value = v;
      statistics.max_value = v;
      first = false;
    } else {
      if (v > (statistics.max_value as number)) statistics.max_value = v;
      if ((statistics.min_value as number) > v) statistics.min_value = v;
    }
  }
}

async function dataPage(
  field: Field,
  rows: number,
  nulls: number,
  plainValues: Buffer,
  definitionLevels: number[] | null,
  statistics: RawStatistics,
): Promise<Buffer> {
  const compressed = await parquetCompression.deflate(field.compression as string, plainValues);
  const dLevels = definitionLevels
    ? parquetCodecs.RLE.encodeValues('INT32', definitionLevels, {
        bitWidth: parquetUtil.getBitWidth(field.dLevelMax),
        disableEnvelope: true,
      })
    : Buffer.alloc(0);
  const header = new parquetTypes.PageHeader();
  header.type = parquetTypes.PageType.DATA_PAGE_V2;
  const v2 = new parquetTypes.DataPageHeaderV2();
  v2.num_values = rows;
  v2.num_nulls = nulls;
  v2.num_rows = rows;
  v2.statistics = headerStatistics(statistics, field);
  v2.encoding = parquetTypes.Encoding[field.encoding as 'PLAIN'];
  v2.definition_levels_byte_length = dLevels.length;
  v2.repetition_levels_byte_length = 0;
  v2.is_compressed = field.compression !== 'UNCOMPRESSED';
  header.data_page_header_v2 = v2;
  header.uncompressed_page_size = dLevels.length + plainValues.length;
  header.compressed_page_size = dLevels.length + compressed.length;
  return Buffer.concat([parquetUtil.serializeThrift(header), dLevels, compressed]);
}

/** A page of an optional DOUBLE column: rows [start, end) of `values`, absent where `nulls` is 1. */
async function doublePage(field: Field, values: Float64Array, nulls: Uint8Array, start: number, end: number) {
  const rows = end - start;
  const levels = new Array<number>(rows);
  let present = 0;
  for (let i = 0; i < rows; i++) {
    const defined = nulls[start + i] === 0 ? 1 : 0;
    levels[i] = defined;
    present += defined;
  }
  const plain = Buffer.allocUnsafe(8 * present);
  const distinct = new Set<number>();
  for (let i = start, j = 0; i < end; i++) {
    if (nulls[i] !== 0) continue;
    const v = values[i] as number;
    plain.writeDoubleLE(v, 8 * j++);
    distinct.add(v);
  }
  const statistics: RawStatistics = { null_count: rows - present, distinct_count: distinct.size };
  minMax(distinct, statistics);
  const page = await dataPage(field, rows, rows - present, plain, levels, statistics);
  return { page, statistics, distinct };
}

/** A page of the required UTF8 entity_id column. */
async function stringPage(field: Field, strings: readonly string[], start: number, end: number) {
  const rows = end - start;
  const encoded: Buffer[] = new Array(rows);
  const distinct = new Set<string>();
  let bytes = 0;
  for (let i = 0; i < rows; i++) {
    const s = strings[start + i] as string;
    // Rows come entity by entity: the previous row's bytes are usually this row's.
    const previous = i > 0 ? (strings[start + i - 1] as string) : undefined;
    const b = previous === s ? (encoded[i - 1] as Buffer) : Buffer.from(s, 'utf8');
    encoded[i] = b;
    distinct.add(s);
    bytes += 4 + b.length;
  }
  const plain = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const b of encoded) {
    offset = plain.writeUInt32LE(b.length, offset);
    offset += b.copy(plain, offset);
  }
  const statistics: RawStatistics = { null_count: 0, distinct_count: distinct.size };
  minMax(distinct, statistics);
  const page = await dataPage(field, rows, 0, plain, null, statistics);
  return { page, statistics, distinct };
}

/** A page of the required as_of column (INT64 milliseconds). */
async function timestampPage(field: Field, millis: Float64Array, start: number, end: number) {
  const rows = end - start;
  const plain = Buffer.allocUnsafe(8 * rows);
  const distinct = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const ms = millis[start + i] as number;
    plain.writeBigInt64LE(BigInt(ms), 8 * i);
    distinct.add(ms);
  }
  const statistics: RawStatistics = { null_count: 0, distinct_count: distinct.size };
  minMax(distinct, statistics);
  // parquetjs's column chunk encoder converts min/max from what its shredder kept: Dates.
  if (statistics.min_value !== undefined) {
    statistics.min_value = new Date(statistics.min_value as number);
    statistics.max_value = new Date(statistics.max_value as number);
  }
  const page = await dataPage(field, rows, 0, plain, null, statistics);
  return { page, statistics, distinct };
}

export interface ColumnarExportWriter {
  /** Appends a batch of rows (its typed arrays are read, not kept). */
  append(batch: FeatureColumns): Promise<void>;
  close(): Promise<void>;
}

/** The export file of openExportWriter (parquet.ts), written from column-wise batches. */
export async function openColumnarExportWriter(
  output: Writable,
  features: readonly string[],
  includeLabel: boolean,
  metadata: Readonly<Record<string, string>> = {},
): Promise<ColumnarExportWriter> {
  const schema = exportSchema(features, includeLabel);
  const sink = output as unknown as Parameters<typeof parquetWriter.ParquetWriter.openStream>[1];
  const writer = await parquetWriter.ParquetWriter.openStream(schema, sink, { rowGroupSize: ROW_GROUP_SIZE });
  const envelope = writer.envelopeWriter;
  if (!envelope) throw new Error('parquetjs opened a writer without an envelope');
  writeUtcTimestamps(envelope, new Set(['as_of']));
  for (const [key, value] of Object.entries(metadata)) writer.setMetadata(key, value);
  const pageRows = envelope.pageSize;
  const width = features.length;
  const fields = schema.fieldList;
  // One row group's worth of rows, column by column (features, then the label when asked).
  const doubleColumns = width + (includeLabel ? 1 : 0);
  const entityIds: string[] = new Array(ROW_GROUP_SIZE);
  const asOf = new Float64Array(ROW_GROUP_SIZE);
  const values = Array.from({ length: doubleColumns }, () => new Float64Array(ROW_GROUP_SIZE));
  const nulls = Array.from({ length: doubleColumns }, () => new Uint8Array(ROW_GROUP_SIZE));
  let buffered = 0;

  const writeRowGroup = async () => {
    if (buffered === 0) return;
    const pages: Record<string, Page[]> = {};
    for (let c = 0; c < fields.length; c++) {
      const field = fields[c] as Field;
      const list: Page[] = [];
      for (let start = 0; start < buffered; start += pageRows) {
        const end = Math.min(start + pageRows, buffered);
        const encoded =
          c === 0
            ? await stringPage(field, entityIds, start, end)
            : c === 1
              ? await timestampPage(field, asOf, start, end)
              : await doublePage(
                  field,
                  values[c - 2] as Float64Array,
                  nulls[c - 2] as Uint8Array,
                  start,
                  end,
                );
        list.push({
          page: encoded.page,
          statistics: encoded.statistics as unknown as Page['statistics'],
          first_row_index: start,
          distinct_values: encoded.distinct,
          num_values: end - start,
        });
      }
      pages[field.path.join(',')] = list;
    }
    const rowCount = buffered;
    buffered = 0;
    await envelope.writeRowGroup({ rowCount, pages });
  };

  return {
    async append(batch) {
      const n = batch.entityIds.length;
      for (let r = 0; r < n; ) {
        const take = Math.min(n - r, ROW_GROUP_SIZE - buffered);
        for (let i = 0; i < take; i++) {
          entityIds[buffered + i] = batch.entityIds[r + i] as string;
          // As parquetjs's TIMESTAMP_MILLIS does through a Date: whole milliseconds.
          asOf[buffered + i] = Math.trunc(batch.asOf[r + i] as number);
        }
        for (let f = 0; f < width; f++) {
          const column = values[f] as Float64Array;
          const absent = nulls[f] as Uint8Array;
          for (let i = 0, src = r * width + f; i < take; i++, src += width) {
            const isNull = batch.nulls[src] as number;
            absent[buffered + i] = isNull;
            column[buffered + i] = isNull ? 0 : (batch.values[src] as number);
          }
        }
        if (includeLabel && batch.labels && batch.labelNulls) {
          values[width]?.set(batch.labels.subarray(r, r + take), buffered);
          nulls[width]?.set(batch.labelNulls.subarray(r, r + take), buffered);
        }
        buffered += take;
        r += take;
        if (buffered === ROW_GROUP_SIZE) await writeRowGroup();
      }
    },
    async close() {
      await writeRowGroup();
      // Nothing is buffered in parquetjs's own writer: close writes the page indexes and footer.
      await writer.close();
    },
  };
}
