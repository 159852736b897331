import { createHash } from 'node:crypto';

/*
 * Test and benchmark helpers: deterministic artifact bytes generated as a stream, so a 256 MB
 * artifact never sits in memory, and its sha256 computed independently of the code under test.
 */

const CHUNK = 1024 * 1024;

/** `size` bytes, the same for the same seed, in chunks of up to 1 MiB. */
export async function* deterministicBytes(size: number, seed = 1): AsyncGenerator<Buffer> {
  let offset = 0;
  let index = 0;
  while (offset < size) {
    const length = Math.min(CHUNK, size - offset);
    const chunk = Buffer.alloc(length, (seed * 31 + index) % 251);
    // Distinct chunks, so a swapped or repeated part changes the checksum.
    for (let i = 0; i + 8 <= length; i += 4096) chunk.writeUInt32BE((index * 7919 + i + seed) >>> 0, i);
    yield chunk;
    offset += length;
    index += 1;
  }
}

/** sha256 (hex) of what deterministicBytes(size, seed) yields, by node:crypto directly. */
export async function sha256OfDeterministic(size: number, seed = 1): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of deterministicBytes(size, seed)) hash.update(chunk);
  return hash.digest('hex');
}

export async function sha256OfStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
