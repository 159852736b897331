import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { DomainError } from '@aihub/core';
import type * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, S3ArtifactStore, type StorageConfig } from '../src/index.js';
import { deterministicBytes, sha256OfDeterministic, sha256OfStream } from '../src/testing.js';

// Against the real object store of scripts/services.sh; each run uses its own bucket.
const config: StorageConfig = {
  endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080',
  region: process.env.S3_REGION ?? 'us-east-1',
  accessKey: process.env.S3_ACCESS_KEY ?? 'aihub:admin',
  secretKey: process.env.S3_SECRET_KEY ?? 'aihub-secret',
  partSize: 5 * 1024 * 1024,
};
const bucket = `aihub-test-${randomBytes(4).toString('hex')}`;

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of stream);
}

describe('S3ArtifactStore against the real store', () => {
  let client: Minio.Client;
  let store: S3ArtifactStore;

  beforeAll(() => {
    client = createS3Client(config);
    store = new S3ArtifactStore(client, bucket, config.region, config.partSize);
  });

  /**
   * Unfinished uploads of `key`, listed independently of the code under test: minio-js's own
   * query with delimiter '/' and the key as prefix, which this store answers correctly.
   */
  async function unfinished(key: string): Promise<string[]> {
    const result = await client.listIncompleteUploadsQuery(bucket, key, '', '', '/');
    return result.uploads.filter((u) => u.key === key).map((u) => u.uploadId);
  }
  afterAll(async () => {
    const keys = await store.list('');
    if (keys.length > 0) await client.removeObjects(bucket, keys);
    await client.removeBucket(bucket).catch(() => {});
  });

  it('creates its bucket on first use and streams a multipart artifact in and out with its sha256', async () => {
    const size = 12 * 1024 * 1024 + 123; // three parts of 5 MiB, the last one short
    const expected = await sha256OfDeterministic(size, 7);
    const stored = await store.put('p/models/m/v1/artifact', deterministicBytes(size, 7));
    expect(stored).toEqual({ sizeBytes: size, sha256: expected });
    expect(await client.bucketExists(bucket)).toBe(true);
    const read = await sha256OfStream(await store.openVerified('p/models/m/v1/artifact', stored));
    expect(read).toEqual({ sha256: expected, size });
  });

  it('fails loudly when the stored bytes no longer match the recorded sha256', async () => {
    const stored = await store.put('p/models/m/v2/artifact', deterministicBytes(4096, 2));
    const chunks: Buffer[] = [];
    for await (const chunk of deterministicBytes(4096, 2)) chunks.push(chunk);
    const corrupted = Buffer.concat(chunks);
    corrupted[100] = (corrupted[100] ?? 0) ^ 0xff;
    await client.putObject(bucket, 'p/models/m/v2/artifact', corrupted, corrupted.length);
    const error = await failure(drain(await store.openVerified('p/models/m/v2/artifact', stored)));
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(error.message).toContain(`expected ${stored.sha256}`);
    expect(error.message).toContain(createHash('sha256').update(corrupted).digest('hex'));
  });

  it('refuses an artifact larger than maxBytes and leaves nothing behind', async () => {
    const error = await failure(
      store.put('p/models/m/v3/artifact', deterministicBytes(6_000_000), { maxBytes: 5_000_000 }),
    );
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await store.stat('p/models/m/v3/artifact')).toBeNull();
  });

  it('turns a body that breaks mid-stream into an error, and an empty body into BAD_REQUEST', async () => {
    async function* broken() {
      yield Buffer.alloc(6 * 1024 * 1024, 1);
      throw new Error('client went away');
    }
    await expect(store.put('p/models/m/v4/artifact', broken())).rejects.toThrow();
    expect(await store.stat('p/models/m/v4/artifact')).toBeNull();
    const empty = await failure(store.put('p/models/m/v5/artifact', Readable.from([])));
    expect(empty.code).toBe('BAD_REQUEST');
  });

  it('aborts its multipart upload by id when the body breaks after two parts: no parts stay in the store', async () => {
    const key = 'p/models/m/v6/artifact';
    async function* brokenAfterTwoParts() {
      yield* deterministicBytes(11 * 1024 * 1024, 9);
      throw new Error('client went away');
    }
    const error = await failure(store.put(key, brokenAfterTwoParts()));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe(
      `The upload stopped before its end: the client disconnected after ${11 * 1024 * 1024} bytes`,
    );
    expect(await unfinished(key)).toEqual([]);
    expect(await store.stat(key)).toBeNull();
  });

  it('aborts the unfinished uploads a killed process left on a key, and sweeps those older than a limit', async () => {
    // What a process killed mid-upload leaves: an initiated upload with a part, never completed.
    const left = async (key: string) => {
      const id = await client.initiateNewMultipartUpload(bucket, key, {});
      await client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: id, partNumber: 1, headers: {} },
        Buffer.alloc(5 * 1024 * 1024, 7),
      );
      return id;
    };
    const killed = 'p/exports/e1/set-v1.parquet';
    const killedId = await left(killed);
    expect(await unfinished(killed)).toEqual([killedId]);
    await store.abortUpload(killed);
    expect(await unfinished(killed)).toEqual([]);

    const older = 'p/models/old/v1/artifact';
    const oldId = await left(older);
    // Swift records initiation times in whole seconds.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const recent = 'p/models/new/v1/artifact';
    const recentId = await left(recent);
    expect(await store.abortStaleUploads(cutoff)).toBe(1);
    expect(await unfinished(older)).toEqual([]);
    expect(await unfinished(recent)).toEqual([recentId]);
    expect(oldId).not.toBe(recentId);
    expect(await store.abortStaleUploads(new Date(Date.now() + 2_000))).toBe(1);
    expect(await unfinished(recent)).toEqual([]);
  });

  it('gives up on a store that accepts connections but never answers, after the timeout', async () => {
    // A store that hangs: it accepts the connection and never sends a byte.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    try {
      const hung = new S3ArtifactStore(
        createS3Client({ ...config, endpoint: `http://127.0.0.1:${port}`, timeoutMs: 500 }),
        bucket,
        config.region,
      );
      const started = performance.now();
      const error = await failure(hung.stat('x/artifact'));
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toBe(
        'Object storage is unavailable: Object storage did not answer within 500 ms',
      );
      // Once, not once per retry: a silent store is not asked again.
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stores JSON beside the artifact, lists, copies and deletes by prefix', async () => {
    await store.putJson('p/models/k/v1/metadata.json', { metrics: { mape: 0.05 } });
    await store.put('p/models/k/v1/artifact', deterministicBytes(1000, 3));
    await store.put('p/models/k/v10/artifact', deterministicBytes(1000, 4));
    expect(await store.getJson('p/models/k/v1/metadata.json')).toEqual({ metrics: { mape: 0.05 } });
    expect(await store.list('p/models/k/v1/')).toEqual([
      'p/models/k/v1/artifact',
      'p/models/k/v1/metadata.json',
    ]);
    await store.copy('p/models/k/v1/artifact', 'p/models/copy/v1/artifact');
    const copied = await sha256OfStream(await client.getObject(bucket, 'p/models/copy/v1/artifact'));
    expect(copied.sha256).toBe(await sha256OfDeterministic(1000, 3));
    // v1/ must not take v10/ with it.
    expect(await store.deletePrefix('p/models/k/v1/')).toBe(2);
    expect(await store.list('p/models/k/')).toEqual(['p/models/k/v10/artifact']);
    expect(await store.deletePrefix('p/models/k/v1/')).toBe(0);
    expect((await failure(store.getJson('p/models/k/v1/metadata.json'))).code).toBe('NOT_FOUND');
  });

  it('presigns GET URLs that work until they expire', async () => {
    await store.put('p/models/s/v1/artifact', deterministicBytes(2048, 5));
    const url = await store.presignGet('p/models/s/v1/artifact', 60);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const got = createHash('sha256')
      .update(Buffer.from(await res.arrayBuffer()))
      .digest('hex');
    expect(got).toBe(await sha256OfDeterministic(2048, 5));
    const short = await store.presignGet('p/models/s/v1/artifact', 1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await fetch(short)).status).toBe(403);
  });

  it('reports a store that does not answer as UNAVAILABLE after retrying, and bad credentials as UNAVAILABLE', async () => {
    const dead = new S3ArtifactStore(
      createS3Client({ ...config, endpoint: 'http://127.0.0.1:1' }),
      bucket,
      config.region,
    );
    const started = performance.now();
    const down = await failure(dead.put('x/artifact', deterministicBytes(10)));
    expect(down.code).toBe('UNAVAILABLE');
    expect(down.message).toBe('Object storage is unavailable');
    // Three attempts with backoff: at least the first two delays (>= 50 ms + 100 ms).
    expect(performance.now() - started).toBeGreaterThan(140);
    const wrong = new S3ArtifactStore(
      createS3Client({ ...config, secretKey: 'wrong' }),
      bucket,
      config.region,
    );
    const refused = await failure(wrong.stat('x/artifact'));
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toMatch(/refused the credentials/);
  });
});
