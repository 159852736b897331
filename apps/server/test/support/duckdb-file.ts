import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureStatistics } from '@aihub/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';

/*
 * Independent checks of an export file with DuckDB: its column types, its key-value metadata, and
 * per-feature statistics computed by DuckDB's own aggregates over the file.
 */

export interface DuckFile {
  columns(): Promise<{ name: string; type: string }[]>;
  metadata(): Promise<Record<string, string>>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openDuckFile(bytes: Uint8Array): Promise<DuckFile> {
  const dir = await mkdtemp(join(tmpdir(), 'aihub-duck-'));
  const file = join(dir, 'export.parquet');
  await writeFile(file, bytes);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const rows = async (sql: string) =>
    (await connection.runAndReadAll(sql.replaceAll('$file', `'${file}'`))).getRowObjectsJson() as Record<
      string,
      unknown
    >[];
  return {
    async columns() {
      const described = await rows('DESCRIBE SELECT * FROM read_parquet($file)');
      return described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    },
    async metadata() {
      const kv = await rows(
        'SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata($file)',
      );
      return Object.fromEntries(kv.map((r) => [String(r.key), String(r.value)]));
    },
    query: (sql) => rows(sql),
    async close() {
      connection.closeSync();
      db.closeSync();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const close = (actual: number | null, expected: number | null, what: string, tolerance = 1e-9) => {
  if (expected === null) return expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - expected), what).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
};

/** The statistics' quantile probabilities, named as the record names them. */
const QUANTILES = { p1: 0.01, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

/**
 * Checks recorded statistics against DuckDB over the file: count, null fraction, mean, sample std,
 * min and max to 1e-9 (relative); each sketch quantile q of probability p within `rankTolerance`
 * in rank: at most p + tolerance of the values lie below q and at least p - tolerance at or below
 * it (the definition of an approximate quantile, which also holds for discrete features); the
 * recorded rank of q between those two fractions, within the same tolerance.
 */
export async function expectStatisticsMatchFile(
  file: DuckFile,
  statistics: readonly FeatureStatistics[],
  features: readonly string[],
  rankTolerance = 0.005,
) {
  expect(statistics.map((s) => s.feature)).toEqual(features);
  for (const s of statistics) {
    const c = `"${s.feature}"`;
    const [agg] = await file.query(
      `SELECT count(${c})::DOUBLE AS n, count(*)::DOUBLE AS rows, avg(${c}) AS mean, stddev_samp(${c}) AS std,
              min(${c}) AS min, max(${c}) AS max FROM read_parquet($file)`,
    );
    const n = agg?.n as number;
    const rows = agg?.rows as number;
    expect(s.count, `${s.feature} count`).toBe(n);
    close(s.nullFraction, rows > 0 ? (rows - n) / rows : null, `${s.feature} nullFraction`);
    close(s.mean, (agg?.mean as number | null) ?? null, `${s.feature} mean`);
    close(s.std, n > 1 ? (agg?.std as number) : null, `${s.feature} std`);
    close(s.min, (agg?.min as number | null) ?? null, `${s.feature} min`);
    close(s.max, (agg?.max as number | null) ?? null, `${s.feature} max`);
    for (const [name, p] of Object.entries(QUANTILES)) {
      const q = s.quantiles[name as keyof typeof QUANTILES];
      if (n === 0) {
        expect(q, `${s.feature} ${name}`).toBeNull();
        expect(s.quantileRanks, `${s.feature} ranks`).toBeNull();
        continue;
      }
      const [rank] = await file.query(
        `SELECT count(*) FILTER (WHERE ${c} < ${q})::DOUBLE AS below,
                count(*) FILTER (WHERE ${c} <= ${q})::DOUBLE AS at_or_below FROM read_parquet($file)`,
      );
      const what = `${s.feature} ${name} = ${q}`;
      const below = (rank?.below as number) / n;
      const atOrBelow = (rank?.at_or_below as number) / n;
      expect(below, what).toBeLessThanOrEqual(p + rankTolerance);
      expect(atOrBelow, what).toBeGreaterThanOrEqual(p - rankTolerance);
      // The recorded rank of q: the fraction of values at or below it (within the same tolerance).
      const recorded = s.quantileRanks?.[name as keyof typeof QUANTILES] as number;
      expect(recorded, `${what} rank`).toBeGreaterThanOrEqual(below - rankTolerance);
      expect(recorded, `${what} rank`).toBeLessThanOrEqual(atOrBelow + rankTolerance);
    }
  }
}
