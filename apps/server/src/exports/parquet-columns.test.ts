import { Writable } from 'node:stream';
import { type FeatureRow, packFeatureRows } from '@aihub/core';
import parquet from '@dsnp/parquetjs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.js';
import { openExportWriter } from './parquet.js';
import { openColumnarExportWriter } from './parquet-columns.js';

/*
 * The column-wise writer against an independent method: parquetjs's own row writer given the same
 * rows. 60,000 rows make two row groups (50,000 + 10,000) whose pages split at 8,192 rows, with
 * gaps, an all-null column, -0, NaN, multi-byte and repeated entity ids.
 */

const HOUR = 3_600_000;
const FEATURES = ['smooth', 'gappy', 'all_null', 'odd'];

function makeRows(count: number): FeatureRow[] {
  const next = seededRandom(7);
  const start = Date.UTC(2026, 2, 29);
  // Rows of the same hour share one Date, so parquetjs's distinct count of as_of (it counts the
  // Date objects) is the number of distinct times, which the column-wise writer counts.
  const times = Array.from({ length: 700 }, (_, h) => new Date(start + h * HOUR));
  return Array.from({ length: count }, (_, i) => {
    const smooth = 50 + 20 * Math.sin(i / 24) + next();
    const gappy = next() < 0.3 ? null : -Math.log(1 - next()) * 3.7;
    const odd = i % 5000 === 1 ? Number.NaN : i % 777 === 0 ? -0 : i % 3 === 0 ? null : i % 11;
    return {
      entityId: `mètre-${Math.floor(i / 700)}`,
      asOf: times[i % 700] as Date,
      values: [smooth, gappy, null, odd],
      label: i % 7 === 0 ? null : smooth * 1.1,
    };
  });
}

function collector() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(Buffer.from(chunk as Uint8Array));
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

async function bothFiles(rows: FeatureRow[], metadata: Record<string, string>) {
  const byRows = collector();
  const rowWriter = await openExportWriter(byRows.sink, FEATURES, true, metadata);
  await rowWriter.append(rows);
  await rowWriter.close();
  const byColumns = collector();
  const columnWriter = await openColumnarExportWriter(byColumns.sink, FEATURES, true, metadata);
  for (let i = 0; i < rows.length; i += 4_999) {
    await columnWriter.append(packFeatureRows(rows.slice(i, i + 4_999), FEATURES.length, true));
  }
  await columnWriter.close();
  return { expected: byRows.bytes(), actual: byColumns.bytes() };
}

async function open(file: Buffer) {
  const reader = await parquet.ParquetReader.openBuffer(file);
  return reader;
}

describe('column-wise export writer', () => {
  it("writes the data pages and column chunks of parquetjs's row writer, byte for byte", async () => {
    const rows = makeRows(60_000);
    const metadata = { 'aihub.export_id': 'e-1' };
    const { expected, actual } = await bothFiles(rows, metadata);
    const expectedReader = await open(expected);
    const actualReader = await open(actual);
    try {
      const groups = actualReader.metadata?.row_groups ?? [];
      expect(groups.map((g) => Number(g.num_rows))).toEqual([50_000, 10_000]);
      // Everything before the page indexes (written after the last row group) is the same.
      const indexStart = Number(groups[0]?.columns[0]?.column_index_offset);
      expect(indexStart).toBeGreaterThan(1_000_000);
      expect(actual.subarray(0, indexStart).equals(expected.subarray(0, indexStart))).toBe(true);
      // Each column chunk's metadata and column index are the same; the offset index differs only
      // in first_row_index, which is each page's real first row (parquetjs writes 0 for all).
      const expectedGroups = expectedReader.metadata?.row_groups ?? [];
      for (let g = 0; g < groups.length; g++) {
        const columns = groups[g]?.columns ?? [];
        expect(columns).toHaveLength(2 + FEATURES.length + 1);
        for (let c = 0; c < columns.length; c++) {
          const mine = columns[c];
          const theirs = expectedGroups[g]?.columns[c];
          expect(mine?.meta_data).toEqual(theirs?.meta_data);
          const a = await actualReader.envelopeReader?.readColumnIndex(mine as never, g, {} as never);
          const b = await expectedReader.envelopeReader?.readColumnIndex(theirs as never, g, {} as never);
          expect(a).toEqual(b);
          const offsets = await actualReader.envelopeReader?.readOffsetIndex(mine as never, g, {} as never);
          const theirOffsets = await expectedReader.envelopeReader?.readOffsetIndex(
            theirs as never,
            g,
            {} as never,
          );
          const firstRows = offsets?.page_locations.map((p) => Number(p.first_row_index));
          expect(firstRows).toEqual(g === 0 ? [0, 8192, 16384, 24576, 32768, 40960, 49152] : [0, 8192]);
          expect(offsets?.page_locations.map((p) => [Number(p.offset), p.compressed_page_size])).toEqual(
            theirOffsets?.page_locations.map((p) => [Number(p.offset), p.compressed_page_size]),
          );
        }
      }
      expect(actualReader.getMetadata()).toEqual(metadata);
      expect(Number(actualReader.getRowCount())).toBe(60_000);
      // And it reads back row for row.
      const cursor = actualReader.getCursor();
      let i = 0;
      for (let record = await cursor.next(); record; record = await cursor.next(), i++) {
        const row = rows[i] as FeatureRow;
        const values = FEATURES.map((f) => (record as Record<string, unknown>)[f] ?? null);
        expect(record).toMatchObject({ entity_id: row.entityId, as_of: row.asOf });
        expect(values).toEqual(row.values);
        expect((record as Record<string, unknown>).label_next_1h ?? null).toBe(row.label);
      }
      expect(i).toBe(60_000);
    } finally {
      await expectedReader.close();
      await actualReader.close();
    }
  });

  it('writes a valid file of no rows, and of one row', async () => {
    for (const rows of [[], makeRows(1)]) {
      const { expected, actual } = await bothFiles(rows, {});
      expect(actual.equals(expected)).toBe(true);
    }
  });
});
