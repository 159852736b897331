import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { CliError } from './cli-error.js';
import { baseUrl, type Connection, describeHttpFailure, unreachable } from './client.js';

/** Streams a local file as the body of a POST to one of the server's streaming endpoints. */
export async function uploadFile<T>(
  connection: Connection,
  path: string,
  file: string,
  options: { contentType: string; onProgress?: (sent: number, total: number) => void },
): Promise<T> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new CliError(`--file: cannot read '${file}'`);
  }
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      options.onProgress?.(sent, size);
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream<Uint8Array>;
  let response: Response;
  try {
    response = await fetch(new URL(path, baseUrl(connection.url)), {
      method: 'POST',
      headers: {
        'content-type': options.contentType,
        'content-length': String(size),
        ...(connection.apiKey ? { authorization: `Bearer ${connection.apiKey}` } : {}),
      },
      body,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    throw unreachable(connection.url, error);
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw await describeHttpFailure({ status: response.status, payload }, connection);
  return payload as T;
}

/** A one-line progress bar on stderr, only when stderr is a terminal (stdout stays clean for --json). */
export function progressBar(label: string): { update(done: number, total: number): void; finish(): void } {
  const tty = process.stderr.isTTY;
  let last = -1;
  return {
    update(done, total) {
      if (!tty || total <= 0) return;
      const percent = Math.floor((done / total) * 100);
      if (percent === last) return;
      last = percent;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}%`);
    },
    finish() {
      if (tty && last >= 0) process.stderr.write('\n');
    },
  };
}
