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
}

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps minio-js / network errors to the domain's error type. */
export function translateStorageError(error: unknown, what = 'Object'): never {
  if (error instanceof DomainError) throw error;
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
