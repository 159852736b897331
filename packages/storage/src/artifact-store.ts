import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type ArtifactStore, DomainError, type StoredObject } from '@aihub/core';
import type * as Minio from 'minio';
import { DEFAULT_PART_SIZE, ensureBucket, translateStorageError } from './client.js';
import { HashingStream } from './hashing.js';
import { listIncompleteUploads } from './multipart.js';
import { withRetry } from './retry.js';

/** A failure of the body being uploaded (the client's side), as opposed to the store's. */
class BodyError extends Error {
  constructor(override readonly cause: unknown) {
    super('the body being uploaded failed', { cause });
  }
}

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
    private readonly partSize: number = DEFAULT_PART_SIZE,
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
   * Streams `body` into `key`: one PUT when it fits in a part, else a multipart upload whose id is
   * kept from its start, so any failure aborts exactly that upload (parts are not left behind).
   * At most two parts are in memory: the one uploading and the one being read. Each part is
   * retried on transient errors (its bytes are at hand). A body that ends early (the client went
   * away) fails with BAD_REQUEST saying so; `body` is not destroyed, so an HTTP caller can still
   * answer on the request's socket.
   *
   * Hand-written over minio-js's own multipart calls instead of putObject, because putObject keeps
   * the upload id to itself and finds uploads to resume or abort by a listing this store answers
   * wrongly (see multipart.ts).
   */
  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    // A stream's error reaches this upload through its iterator; until that exists (the bucket
    // check), an 'error' event without a listener would end the process.
    if (body instanceof Readable) body.on('error', () => {});
    await this.ensureBucket();
    const partSize = this.partSize;
    const hash = createHash('sha256');
    let bytes = 0;
    // Incoming chunks are copied into the part at once: holding them instead would also hold
    // the (larger) socket buffers they are views of.
    let part = Buffer.allocUnsafe(partSize);
    let filled = 0;
    let uploadId: string | undefined;
    const etags: { part: number; etag: string }[] = [];
    // The part being uploaded while the next one is read; its failure stops the reading at once.
    let inFlight: Promise<void> = Promise.resolve();
    let storeFailure: unknown;
    // Rejects the read of the body in progress when a part fails (one listener at a time: racing
    // every read against one long-lived promise would keep every chunk read reachable).
    let interruptRead: ((error: unknown) => void) | undefined;
    const settled = async () => {
      await inFlight;
      if (storeFailure !== undefined) throw storeFailure;
    };
    const sendPart = async (bytesOfPart: Buffer) => {
      await settled();
      uploadId ??= await withRetry(() => this.client.initiateNewMultipartUpload(this.bucket, key, {}));
      const id = uploadId;
      const number = etags.length + 1;
      etags.push({ part: number, etag: '' });
      inFlight = withRetry(() =>
        this.client.uploadPart(
          { bucketName: this.bucket, objectName: key, uploadID: id, partNumber: number, headers: {} },
          bytesOfPart,
        ),
      ).then(
        (uploaded) => {
          etags[number - 1] = { part: number, etag: uploaded.etag };
        },
        (error: unknown) => {
          storeFailure = error;
          interruptRead?.(error);
        },
      );
    };

    // Not destroyed when the loop stops early: the caller may still answer on an HTTP request.
    const iterator =
      body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body[Symbol.asyncIterator]();
    try {
      for (;;) {
        if (storeFailure !== undefined) throw storeFailure;
        const next = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
          interruptRead = reject;
          iterator.next().then(resolve, (error: unknown) => reject(new BodyError(error)));
        }).finally(() => {
          interruptRead = undefined;
        });
        if (next.done) break;
        const chunk = next.value;
        bytes += chunk.length;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) {
          throw new DomainError('PAYLOAD_TOO_LARGE', `Artifact is larger than ${options.maxBytes} bytes`);
        }
        hash.update(chunk);
        for (let offset = 0; offset < chunk.length; ) {
          const n = Math.min(partSize - filled, chunk.length - offset);
          part.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === partSize) {
            await sendPart(part);
            part = Buffer.allocUnsafe(partSize);
            filled = 0;
          }
        }
      }
      if (bytes === 0) throw DomainError.badRequest('Artifact is empty', { body: ['must not be empty'] });
      if (uploadId === undefined) {
        const whole = part.subarray(0, filled);
        await withRetry(() => this.client.putObject(this.bucket, key, whole, whole.length));
      } else {
        if (filled > 0) await sendPart(part.subarray(0, filled));
        await settled();
        const id = uploadId;
        await withRetry(() => this.client.completeMultipartUpload(this.bucket, key, id, etags));
      }
      return { sizeBytes: bytes, sha256: hash.digest('hex') };
    } catch (error) {
      if (!(error instanceof BodyError)) {
        // Stop reading the body (a generator is closed; a stream is left to its owner).
        Promise.resolve()
          .then(() => iterator.return?.(undefined))
          .catch(() => {});
      }
      const id = uploadId;
      if (id !== undefined) {
        await inFlight;
        await withRetry(() => this.client.abortMultipartUpload(this.bucket, key, id)).catch(() => {});
      }
      if (error instanceof BodyError) {
        if (error.cause instanceof DomainError) throw error.cause;
        throw DomainError.badRequest(
          `The upload stopped before its end: the client disconnected after ${bytes} bytes`,
        );
      }
      translateStorageError(error, `Object '${key}'`);
    }
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

  /** Aborts every unfinished multipart upload of exactly `key` (one that a killed process left). */
  async abortUpload(key: string): Promise<void> {
    await this.call(`Upload '${key}'`, async () => {
      for await (const upload of listIncompleteUploads(this.client, this.bucket, key)) {
        if (upload.key === key) await this.client.abortMultipartUpload(this.bucket, key, upload.uploadId);
      }
    });
  }

  /**
   * Aborts every unfinished multipart upload in the bucket started before `olderThan` (left by a
   * killed process or a lost client); returns how many. For a scheduled sweep.
   */
  async abortStaleUploads(olderThan: Date): Promise<number> {
    return this.call(`Bucket '${this.bucket}'`, async () => {
      let aborted = 0;
      for await (const upload of listIncompleteUploads(this.client, this.bucket, '')) {
        if (upload.initiated.getTime() >= olderThan.getTime()) continue;
        await this.client.abortMultipartUpload(this.bucket, upload.key, upload.uploadId).then(
          () => aborted++,
          (error: unknown) => {
            // Finished or aborted by its owner meanwhile.
            if ((error as { code?: unknown }).code !== 'NoSuchUpload') throw error;
          },
        );
      }
      return aborted;
    });
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.call(`Object '${key}'`, () =>
      this.client.presignedGetObject(this.bucket, key, expiresInSeconds),
    );
  }
}
