import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, UsageError } from '../cli-error.js';
import { progressBar } from '../http-stream.js';

/* Artifact bytes on the client side: the sha256 declared at registration, and a verified download. */

export async function sha256OfFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`--file: cannot read '${path}'`, 2);
  }
  if (!info.isFile()) throw new CliError(`--file: '${path}' is not a file`, 2);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), sizeBytes: info.size };
}

/**
 * Where `--output` means: a file path as given, or, when it names a folder (an existing one, or any
 * path ending in a slash), the default file name inside that folder.
 */
export async function outputPath(output: string | undefined, defaultName: string): Promise<string> {
  if (output === undefined) return defaultName;
  const info = await stat(output).catch(() => undefined);
  const namesFolder = output.endsWith('/') || output.endsWith(sep);
  if (info?.isDirectory()) return join(output, defaultName);
  if (namesFolder) throw new UsageError(`--output: the folder '${output}' does not exist`);
  return output;
}

/** Downloads to `output` through a `.part` file, renamed only once the sha256 and size match; no partial file survives a failure. */
export async function downloadVerified(
  url: string,
  output: string,
  expected: { sha256: string; sizeBytes: number },
) {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new CliError(`download failed: HTTP ${res.status}`);
  const partial = `${output}.part`;
  const hash = createHash('sha256');
  const bar = progressBar(`downloading ${output}`);
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      bar.update(size, expected.sizeBytes);
      callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]);
  try {
    await pipeline(source, hasher, createWriteStream(partial)).finally(() => bar.finish());
    const sha256 = hash.digest('hex');
    if (sha256 !== expected.sha256 || size !== expected.sizeBytes) {
      throw new CliError(
        `sha256 mismatch: the registry recorded ${expected.sha256} (${expected.sizeBytes} bytes), ` +
          `the download is ${sha256} (${size} bytes); nothing was written`,
      );
    }
    await rename(partial, output);
    return { sha256, sizeBytes: size };
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(`--output: cannot write '${output}': ${(error as Error).message}`);
  }
}
