import { PassThrough, Writable } from 'node:stream';
import type { FeatureRow } from '@aihub/core';
import parquet from '@dsnp/parquetjs';
import { describe, expect, it } from 'vitest';
import { openExportEncoder } from './encoder.js';

const rows: FeatureRow[] = [
  { entityId: 'm-1', asOf: new Date('2026-03-29T00:00:00Z'), values: [1.5, null, -0.25], label: 2 },
  { entityId: 'm-1', asOf: new Date('2026-03-29T01:00:00Z'), values: [null, null, null], label: null },
  { entityId: 'm-é/2', asOf: new Date('2026-03-29T02:00:00Z'), values: [0, 1e-300, 123456.789], label: 0 },
];

async function collect(stream: PassThrough): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBack(file: Buffer): Promise<Record<string, unknown>[]> {
  const reader = await parquet.ParquetReader.openBuffer(file);
  const cursor = reader.getCursor();
  const out: Record<string, unknown>[] = [];
  for (let record = await cursor.next(); record; record = await cursor.next())
    out.push(record as Record<string, unknown>);
  await reader.close();
  return out;
}

describe('export encoder thread', () => {
  it('writes a Parquet file that reads back row for row (encoded on its own thread)', async () => {
    const output = new PassThrough();
    const file = collect(output);
    const encoder = openExportEncoder(output, ['lag_1h', 'lag_24h', 'delta_1h'], true);
    await encoder.append(rows.slice(0, 2));
    await encoder.append(rows.slice(2));
    await encoder.close();
    const read = await readBack(await file);
    expect(read).toEqual([
      // parquetjs's reader gives an absent optional value as null.
      {
        entity_id: 'm-1',
        as_of: rows[0]?.asOf,
        lag_1h: 1.5,
        lag_24h: null,
        delta_1h: -0.25,
        label_next_1h: 2,
      },
      {
        entity_id: 'm-1',
        as_of: rows[1]?.asOf,
        lag_1h: null,
        lag_24h: null,
        delta_1h: null,
        label_next_1h: null,
      },
      {
        entity_id: 'm-é/2',
        as_of: rows[2]?.asOf,
        lag_1h: 0,
        lag_24h: 1e-300,
        delta_1h: 123456.789,
        label_next_1h: 0,
      },
    ]);
  });

  it('an empty export is a valid file with no rows', async () => {
    const output = new PassThrough();
    const file = collect(output);
    const encoder = openExportEncoder(output, ['lag_1h'], false);
    await encoder.close();
    expect(await readBack(await file)).toEqual([]);
  });

  it('waits for the upload: no more than its window is produced while the sink is stuck', {
    timeout: 60_000,
  }, async () => {
    let taken = 0;
    let release: (() => void) | undefined;
    const stuck = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        taken += chunk.length;
        release = () => {
          release = undefined;
          done();
        };
      },
    });
    // A 64 KiB window (8 MiB in production) so a small file shows it.
    const encoder = openExportEncoder(stuck, ['lag_1h'], false, { windowBytes: 64 * 1024 });
    const many: FeatureRow[] = Array.from({ length: 200_000 }, (_, i) => ({
      entityId: `m-${i % 100}`,
      asOf: new Date(i * 3_600_000),
      values: [i],
    }));
    // Four 50,000-row groups; the encoder blocks within the first once the window is full.
    const appending = (async () => {
      for (let i = 0; i < many.length; i += 10_000) await encoder.append(many.slice(i, i + 10_000));
    })();
    const produced = () => taken + stuck.writableLength;
    // Wait until the window is full and production has stopped (a slow machine may take a while)...
    let before = -1;
    for (let stable = 0, polls = 0; stable < 3 && polls < 300; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stable = produced() === before && before >= 64 * 1024 ? stable + 1 : 0;
      before = produced();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(produced()).toBe(before); // ...and check that it stays stopped while the sink takes nothing
    let settled = false;
    const done = () => {
      settled = true;
    };
    void appending.then(done, done);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false); // and the producer is held back too
    while (!settled) {
      release?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await appending;
    const closing = encoder.close();
    while (!stuck.writableFinished) {
      release?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await closing;
    expect(before).toBeLessThan(taken / 2); // when it stopped, most of the file was still to come
  });

  it('reports a failure of the sink instead of hanging', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('upload failed'));
      },
    });
    broken.on('error', () => {});
    const encoder = openExportEncoder(broken, ['lag_1h'], false);
    const error = await (async () => {
      await encoder.append([{ entityId: 'm', asOf: new Date(0), values: [1] }]);
      await encoder.close();
    })().catch((e: unknown) => e);
    expect(String(error)).toContain('upload failed');
    await encoder.destroy();
  });
});
