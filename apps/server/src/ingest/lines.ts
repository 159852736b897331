import type { Readable } from 'node:stream';
import { MAX_INGEST_LINE_LENGTH } from '@aihub/core';

/**
 * The lines of a byte stream, one array per chunk read (one step of async iteration per chunk, not
 * per line), with backpressure: the next chunk is read only when the consumer asks for more lines. (readline's async iterator buffers ahead without limit, so a slow consumer
 * would hold a whole upload in memory.) Accepts \n and \r\n endings; decodes UTF-8 across chunks.
 * A line longer than `maxLength` characters is yielded as null, and its characters are dropped as
 * they arrive: one huge line never buffers more than `maxLength` plus a chunk.
 */
export async function* readLines(
  input: Readable,
  maxLength = MAX_INGEST_LINE_LENGTH,
): AsyncGenerator<(string | null)[]> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  // Inside a line already known to be too long: everything up to its end is dropped.
  let skipping = false;
  // Not destroyed when the reader stops early (a wrong header): destroying a server request leaves
  // the rest of its body unread on a connection kept alive, and the client's next request on it
  // would hang. The caller drains it instead (http-responses.ts).
  for await (const chunk of input.iterator({ destroyOnReturn: false })) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    const lines: (string | null)[] = [];
    let start = 0;
    for (;;) {
      const end = rest.indexOf('\n', start);
      if (end === -1) break;
      const stop = end > start && rest.charCodeAt(end - 1) === 13 ? end - 1 : end;
      lines.push(skipping || stop - start > maxLength ? null : rest.slice(start, stop));
      skipping = false;
      start = end + 1;
    }
    rest = rest.slice(start);
    // Still no line end: past the limit (plus a possible \r), the line is too long whatever follows.
    if (skipping || rest.length > maxLength + 1) {
      skipping = true;
      rest = '';
    }
    if (lines.length > 0) yield lines;
    // When the upload is already buffered, async iteration continues through microtasks only,
    // which starve I/O: the COPY of the previous batch could not send its data or read its answer
    // until this whole batch was parsed. One macrotask turn per chunk lets both proceed together.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  rest += decoder.decode();
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (skipping || rest.length > maxLength) yield [null];
  else if (rest !== '') yield [rest];
}
