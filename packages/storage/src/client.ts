import http from 'node:http';
import https from 'node:https';
import { DomainError, type HealthProbe } from '@aihub/core';
import * as Minio from 'minio';

export interface StorageConfig {
  /** http(s)://host:port of the S3-compatible endpoint. */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /**
   * Multipart part size in bytes for streams of unknown length (default 16 MiB). Without it minio-js
   * sizes parts for a 5 TiB object (about 560 MB each, held in memory).
   */
  partSize?: number;
  /**
   * Longest silence allowed on one request, in ms (default 10,000): no byte sent or received for
   * this long fails the call with UNAVAILABLE, so a store that hangs cannot hold a request, a
   * worker or a readiness check. It bounds silence, not duration: a large part still uploads.
   */
  timeoutMs?: number;
}

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
export const DEFAULT_STORAGE_TIMEOUT_MS = 10_000;

/** A request to the store that saw no traffic for the configured time. */
export class StorageTimeoutError extends Error {
  override readonly name = 'StorageTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`Object storage did not answer within ${timeoutMs} ms`);
  }
}

/*
 * minio-js has no request timeout of its own (Node's `timeout` option only emits an event), so its
 * transport is wrapped: every request's socket gets an inactivity timer that destroys it. minio-js
 * documents `transport` as the way to supply the http(s) module it calls.
 */
function timedTransport(base: typeof http | typeof https, timeoutMs: number): Pick<typeof http, 'request'> {
  // minio-js always calls request(options, callback); http's overloads are kept for the type.
  const request = (...args: Parameters<typeof http.request>) => {
    const req = (base.request as (...a: Parameters<typeof http.request>) => http.ClientRequest)(...args);
    req.setTimeout(timeoutMs, () => req.destroy(new StorageTimeoutError(timeoutMs)));
    return req;
  };
  return { request: request as typeof http.request };
}

export function createS3Client(config: StorageConfig): Minio.Client {
  const url = new URL(config.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    region: config.region,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    // Path-style addressing: works with any S3-compatible store, no wildcard DNS needed.
    pathStyle: true,
    partSize: config.partSize ?? DEFAULT_PART_SIZE,
    transport: timedTransport(useSSL ? https : http, config.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS),
  });
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const transientS3Codes = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

/** Worth retrying: the network or the store had a moment, not a refusal of this request. */
export function isTransientStorageError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, statusCode, cause } = error as { code?: unknown; statusCode?: unknown; cause?: unknown };
  if (typeof code === 'string' && (unavailableCodes.has(code) || transientS3Codes.has(code))) return true;
  if (typeof statusCode === 'number' && statusCode >= 500) return true;
  if (error instanceof Error && /socket hang up|other side closed|ECONNRESET/i.test(error.message))
    return true;
  return cause !== undefined && cause !== error && isTransientStorageError(cause);
}

/** The StorageTimeoutError behind `error`, if a timeout is what failed it. */
export function timeoutOf(error: unknown): StorageTimeoutError | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof StorageTimeoutError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps minio-js / network errors to the domain's error type. */
export function translateStorageError(error: unknown, what = 'Object'): never {
  if (error instanceof DomainError) throw error;
  const timeout = timeoutOf(error);
  if (timeout)
    throw new DomainError('UNAVAILABLE', `Object storage is unavailable: ${timeout.message}`, {
      cause: error,
    });
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket')
    throw DomainError.notFound(what);
  if (code === 'EntityTooLarge')
    throw new DomainError('PAYLOAD_TOO_LARGE', 'Object storage refused an object this large', {
      cause: error,
    });
  if (code === 'AccessDenied' || code === 'SignatureDoesNotMatch' || code === 'InvalidAccessKeyId') {
    throw new DomainError('UNAVAILABLE', 'Object storage refused the credentials', { cause: error });
  }
  if (typeof code === 'string' && unavailableCodes.has(code))
    throw DomainError.unavailable('Object storage', error);
  const status =
    typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  if (typeof status === 'number' && status >= 500) throw DomainError.unavailable('Object storage', error);
  if (isTransientStorageError(error)) throw DomainError.unavailable('Object storage', error);
  throw new DomainError('INTERNAL', `Object storage failed: ${describe(error)}`, { cause: error });
}

/** Readiness: the store answers an authenticated request (so wrong credentials count as not ready). */
export function storageHealthProbe(client: Minio.Client): HealthProbe {
  return {
    name: 'objectStorage',
    async ping() {
      await client.listBuckets();
    },
  };
}

/** Creates the bucket unless it exists; tolerates a concurrent creator. */
export async function ensureBucket(client: Minio.Client, bucket: string, region: string): Promise<void> {
  try {
    if (await client.bucketExists(bucket)) return;
    await client.makeBucket(bucket, region);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
    translateStorageError(error, `Bucket '${bucket}'`);
  }
}
