import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines } from './lines.js';

async function collect(chunks: (string | Buffer)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(Readable.from(chunks))) out.push(line);
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
    for await (const line of readLines(source)) if (line === 'line 2') break;
    expect(pulled).toBeLessThan(20);
  });
});
