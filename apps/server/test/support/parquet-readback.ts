import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/*
 * Reads an export back with an independent reader: the bytes from the presigned URL, hashed here,
 * then parsed by DuckDB (not by the Parquet library that wrote them).
 */

export interface ReadBack {
  sha256: string;
  bytes: number;
  columns: { name: string; type: string }[];
  /** as_of as epoch milliseconds. */
  rows: Record<string, number | string | null>[];
}

export async function readExport(url: string, orderBy?: string): Promise<ReadBack> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  const dir = await mkdtemp(join(tmpdir(), 'aihub-export-'));
  const file = join(dir, 'export.parquet');
  await writeFile(file, body);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const select = columns
      .map((c) => (c.name === 'as_of' ? 'epoch_ms(as_of)::DOUBLE AS as_of' : `"${c.name}"`))
      .join(', ');
    const order = orderBy ? ` ORDER BY ${orderBy}` : '';
    const result = await connection.runAndReadAll(`SELECT ${select} FROM read_parquet('${file}')${order}`);
    const rows = result.getRowObjectsJson() as Record<string, number | string | null>[];
    return { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length, columns, rows };
  } finally {
    connection.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
