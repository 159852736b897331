import { Readable } from 'node:stream';
import { type ArtifactStore, DomainError, type StoredObject } from '@aihub/core';
import type * as Minio from 'minio';
import { ensureBucket, translateStorageError } from './client.js';
import { HashingStream } from './hashing.js';
import { withRetry } from './retry.js';

/**
 * Artifacts in one bucket of an S3-compatible store. The bucket is created on first use; bytes
 * stream through a hashing pass-through in both directions; small control operations are retried
 * on transient failures. Every error leaves as a DomainError.
 */
export class S3ArtifactStore implements ArtifactStore {
  private bucketReady: Promise<void> | undefined;

  constructor(
    private readonly client: Minio.Client,
    private readonly bucket: string,
    private readonly region: string,
  ) {}

  private ensureBucket(): Promise<void> {
    // Memoized, but forgotten on failure so the next call tries again.
    this.bucketReady ??= withRetry(() => ensureBucket(this.client, this.bucket, this.region)).catch(
      (error) => {
        this.bucketReady = undefined;
        translateStorageError(error, `Bucket '${this.bucket}'`);
      },
    );
    return this.bucketReady;
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    await this.ensureBucket();
    try {
      return await withRetry(work);
    } catch (error) {
      translateStorageError(error, what);
    }
  }

  /**
   * Streams `body` into `key`. On failure the multipart upload is aborted and `body` is unpiped but
   * left open, so an HTTP caller can still answer on the request's socket.
   */
  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    await this.ensureBucket();
    const source = body instanceof Readable ? body : Readable.from(body);
    const hasher = new HashingStream({ maxBytes: options.maxBytes });
    let failure: unknown;
    // minio-js listens for errors on its own chunking stream only, so a failing body would leave
    // putObject waiting forever: race it against the hasher's first error.
    const failed = new Promise<never>((_, reject) =>
      hasher.on('error', (error) => {
        failure ??= error;
        reject(error);
      }),
    );
    failed.catch(() => {});
    source.on('error', (error) => hasher.destroy(error));
    source.on('close', () => {
      if (!source.readableEnded) hasher.destroy(DomainError.badRequest('The upload stopped before its end'));
    });
    source.pipe(hasher);
    try {
      // Not retried: the body can be read only once; the caller retries the whole upload.
      // Unknown size: minio-js sends parts of the client's configured part size.
      await Promise.race([this.client.putObject(this.bucket, key, hasher), failed]);
    } catch (error) {
      source.unpipe(hasher);
      if (!(body instanceof Readable)) source.destroy();
      hasher.destroy();
      await this.abortUpload(key).catch(() => {});
      const cause = failure ?? error;
      if (cause instanceof DomainError) throw cause;
      if (hasher.bytes === 0)
        throw DomainError.badRequest('Artifact is empty', { body: ['must not be empty'] });
      translateStorageError(cause, `Object '${key}'`);
    }
    return { sizeBytes: hasher.bytes, sha256: hasher.digest ?? '' };
  }

  async openVerified(key: string, expected: StoredObject): Promise<AsyncIterable<Uint8Array>> {
    const object = await this.call(`Object '${key}'`, () => this.client.getObject(this.bucket, key));
    const hasher = new HashingStream({ expected: { ...expected, what: `'${key}'` } });
    object.on('error', (error) =>
      hasher.destroy(new DomainError('UNAVAILABLE', `Reading '${key}' failed`, { cause: error })),
    );
    return object.pipe(hasher);
  }

  async putJson(key: string, value: unknown): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(value, null, 2));
    await this.call(`Object '${key}'`, () =>
      this.client.putObject(this.bucket, key, bytes, bytes.length, { 'Content-Type': 'application/json' }),
    );
  }

  async getJson(key: string): Promise<unknown> {
    return this.call(`Object '${key}'`, async () => {
      const stream = await this.client.getObject(this.bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    });
  }

  async stat(key: string): Promise<{ sizeBytes: number } | null> {
    try {
      const stat = await this.call(`Object '${key}'`, () => this.client.statObject(this.bucket, key));
      return { sizeBytes: stat.size };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    return this.call(`Prefix '${prefix}'`, async () => {
      const keys: string[] = [];
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        if (item.name) keys.push(item.name);
      }
      return keys.sort();
    });
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.call(`Object '${fromKey}'`, () =>
      this.client.copyObject(this.bucket, toKey, `/${this.bucket}/${fromKey}`),
    );
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/'))
      throw new DomainError('INTERNAL', `Refusing to delete prefix '${prefix}' without a trailing /`);
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.call(`Prefix '${prefix}'`, () => this.client.removeObjects(this.bucket, batch));
    }
    return keys.length;
  }

  async abortUpload(key: string): Promise<void> {
    await this.call(`Upload '${key}'`, () => this.client.removeIncompleteUpload(this.bucket, key));
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.call(`Object '${key}'`, () =>
      this.client.presignedGetObject(this.bucket, key, expiresInSeconds),
    );
  }
}
