import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_INGEST_LINE_LENGTH } from '@aihub/core';
import { readLines } from './lines.js';

async function collect(chunks: (string | Buffer)[], maxLength?: number): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for await (const lines of readLines(Readable.from(chunks), maxLength)) out.push(...lines);
  return out;
}

describe('readLines', () => {
  it('splits across chunk boundaries, with \\n and \\r\\n, keeping a last line without newline', async () => {
    expect(await collect(['a,1\nb,', '2\r\n', '\nc,3'])).toEqual(['a,1', 'b,2', '', 'c,3']);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('zürich\n');
    expect(await collect([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['zürich']);
  });

  it('reads lazily: a consumer that stops early leaves the rest unread', async () => {
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          pulled += 1;
          yield `line ${i}\n`;
        }
      })(),
      { highWaterMark: 1 },
    );
    for await (const lines of readLines(source)) if (lines.includes('line 2')) break;
    expect(pulled).toBeLessThan(20);
  });

  it('yields a line of exactly the limit, and null for one character more, then goes on', async () => {
    const at = 'x'.repeat(MAX_INGEST_LINE_LENGTH);
    const over = `${at}y`;
    expect(await collect([`a\n${at}\n${over}\nb\n`])).toEqual(['a', at, null, 'b']);
    // \r\n does not count, and neither does the end of the input without a newline.
    expect(await collect([`${at}\r\n${over}\r\n${at}`])).toEqual([at, null, at]);
    expect(await collect([`${at}\n${over}`])).toEqual([at, null]);
  });

  it('drops a too long line as it arrives: many chunks without a newline buffer no more than the limit', async () => {
    let pulled = 0;
    const chunk = 'z'.repeat(1000);
    const source = Readable.from(
      (function* () {
        yield 'first\n';
        // 10 MB in one line, then a normal one.
        for (let i = 0; i < 10_000; i++) {
          pulled += 1;
          yield chunk;
        }
        yield '\r\nlast';
      })(),
    );
    const lines: (string | null)[] = [];
    let longest = 0;
    for await (const group of readLines(source, 5000)) {
      for (const line of group) {
        lines.push(line);
        longest = Math.max(longest, line?.length ?? 0);
      }
    }
    expect(pulled).toBe(10_000);
    expect(lines).toEqual(['first', null, 'last']);
    // The limit holds across chunk boundaries too: 5,000 and 5,001 characters, each in two chunks.
    const chunks = ['y'.repeat(2500), 'y'.repeat(2500), '\n', 'y'.repeat(2501), 'y'.repeat(2500), '\n'];
    const split = await collect(chunks, 5000);
    expect(split.map((line) => line?.length ?? null)).toEqual([5000, null]);
    expect(longest).toBe(5);
  });
});
