export { S3ArtifactStore } from './artifact-store.js';
export {
  createS3Client,
  DEFAULT_PART_SIZE,
  DEFAULT_STORAGE_TIMEOUT_MS,
  ensureBucket,
  isTransientStorageError,
  type StorageConfig,
  StorageTimeoutError,
  storageHealthProbe,
  timeoutOf,
  translateStorageError,
} from './client.js';
export { type IncompleteUpload, listIncompleteUploads } from './multipart.js';
export { HashingStream } from './hashing.js';
export { type RetryOptions, withRetry } from './retry.js';
