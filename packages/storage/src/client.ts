import { DomainError, type HealthProbe } from '@aihub/core';
import * as Minio from 'minio';

export interface StorageConfig {
  /** http(s)://host:port of the S3-compatible endpoint. */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
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

/** Maps minio-js / network errors to the domain's error type. */
export function translateStorageError(error: unknown, what = 'Object'): never {
  if (error instanceof DomainError) throw error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket')
    throw DomainError.notFound(what);
  if (code === 'AccessDenied' || code === 'SignatureDoesNotMatch' || code === 'InvalidAccessKeyId') {
    throw new DomainError('UNAVAILABLE', 'Object storage refused the credentials', { cause: error });
  }
  if (typeof code === 'string' && unavailableCodes.has(code))
    throw DomainError.unavailable('Object storage', error);
  const status =
    typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  if (typeof status === 'number' && status >= 500) throw DomainError.unavailable('Object storage', error);
  throw error;
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
