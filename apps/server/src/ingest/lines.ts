import type { Readable } from 'node:stream';

/**
 * The lines of a byte stream, with backpressure: the next chunk is read only when the consumer
 * asks for more lines. (readline's async iterator buffers ahead without limit, so a slow consumer
 * would hold a whole upload in memory.) Accepts \n and \r\n endings; decodes UTF-8 across chunks.
 */
export async function* readLines(input: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  // Not destroyed when the reader stops early (a wrong header): destroying a server request leaves
  // the rest of its body unread on a connection kept alive, and the client's next request on it
  // would hang. The caller drains it instead (http-responses.ts).
  for await (const chunk of input.iterator({ destroyOnReturn: false })) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    let start = 0;
    for (;;) {
      const end = rest.indexOf('\n', start);
      if (end === -1) break;
      yield rest.charCodeAt(end - 1) === 13 ? rest.slice(start, end - 1) : rest.slice(start, end);
      start = end + 1;
    }
    rest = rest.slice(start);
    // When the upload is already buffered, async iteration continues through microtasks only,
    // which starve I/O: the COPY of the previous batch could not send its data or read its answer
    // until this whole batch was parsed. One macrotask turn per chunk lets both proceed together.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
