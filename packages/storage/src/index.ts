export { S3ArtifactStore } from './artifact-store.js';
export {
  createS3Client,
  DEFAULT_PART_SIZE,
  ensureBucket,
  isTransientStorageError,
  type StorageConfig,
  storageHealthProbe,
  translateStorageError,
} from './client.js';
export { HashingStream } from './hashing.js';
export { type RetryOptions, withRetry } from './retry.js';
