import { PassThrough } from 'node:stream';
import type { FeatureRow } from '@aihub/core';
import { describe, expect, it } from 'vitest';
import { expectStatisticsMatchFile, openDuckFile } from '../../test/support/duckdb-file.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { openExportEncoder } from './encoder.js';

/*
 * The export file describes itself (zoned as_of, key-value metadata) and its statistics agree with
 * DuckDB's own aggregates over the file, at a size where the sketch really summarizes (120,000 rows).
 */

const HOUR = 3_600_000;
const FEATURES = ['smooth', 'gappy', 'hour_of_day', 'always_null'];

function makeRows(count: number): FeatureRow[] {
  const next = seededRandom(42);
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => {
    const hour = i % 24;
    // A daily cycle plus noise (continuous), a skewed feature with 30 % gaps, a discrete one, none.
    const smooth = 50 + 20 * Math.sin((hour / 24) * 2 * Math.PI) + next() * 10;
    const gappy = next() < 0.3 ? null : -Math.log(1 - next()) * 3.7;
    return {
      entityId: `m-${Math.floor(i / 1000)}`,
      asOf: new Date(start + (i % 1000) * HOUR),
      values: [smooth, gappy, hour, null],
      label: i % 7 === 0 ? null : smooth * 1.1,
    };
  });
}

async function encode(rows: FeatureRow[], metadata: Record<string, string>) {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of output) chunks.push(chunk as Buffer);
  })();
  const encoder = openExportEncoder(output, FEATURES, true, { metadata });
  for (let i = 0; i < rows.length; i += 5_000) await encoder.append(rows.slice(i, i + 5_000));
  const statistics = await encoder.close();
  await collected;
  return { bytes: Buffer.concat(chunks), statistics };
}

describe('export file', () => {
  it('as_of is a UTC timestamp, the key-value metadata is there, and the statistics agree with DuckDB', async () => {
    const rows = makeRows(120_000);
    const metadata = { 'aihub.export_id': 'e-1', 'aihub.features': JSON.stringify(FEATURES) };
    const { bytes, statistics } = await encode(rows, metadata);
    const file = await openDuckFile(bytes);
    try {
      expect(await file.columns()).toEqual([
        { name: 'entity_id', type: 'VARCHAR' },
        { name: 'as_of', type: 'TIMESTAMP WITH TIME ZONE' },
        ...FEATURES.map((name) => ({ name, type: 'DOUBLE' })),
        { name: 'label_next_1h', type: 'DOUBLE' },
      ]);
      const [schema] = await file.query(
        "SELECT logical_type, converted_type FROM parquet_schema($file) WHERE name = 'as_of'",
      );
      expect(String(schema?.logical_type)).toMatch(/isAdjustedToUTC=1/);
      expect(schema?.converted_type).toBe('TIMESTAMP_MILLIS');
      // The instants are the ones written, whatever the reader's time zone.
      const instants = await file.query(
        "SELECT epoch_ms(as_of)::DOUBLE AS ms, strftime(as_of AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') AS utc FROM read_parquet($file) LIMIT 3",
      );
      expect(instants).toEqual(
        rows.slice(0, 3).map((r) => ({ ms: r.asOf.getTime(), utc: r.asOf.toISOString().slice(0, 19) })),
      );
      expect(await file.metadata()).toEqual(metadata);
      expect(statistics.rows).toBe(rows.length);
      await expectStatisticsMatchFile(file, statistics.features, FEATURES);
      const [, gappy, , none] = statistics.features;
      expect(gappy?.nullFraction).toBeGreaterThan(0.28);
      expect(none).toMatchObject({ count: 0, nullFraction: 1, mean: null, std: null, min: null });
    } finally {
      await file.close();
    }
  }, 60_000);

  it('an empty export has statistics of no rows', async () => {
    const { bytes, statistics } = await encode([], {});
    const file = await openDuckFile(bytes);
    try {
      expect(statistics.rows).toBe(0);
      await expectStatisticsMatchFile(file, statistics.features, FEATURES);
      expect(statistics.features[0]).toMatchObject({ count: 0, nullFraction: null, mean: null });
    } finally {
      await file.close();
    }
  });
});
