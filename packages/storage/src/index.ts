export {
  createS3Client,
  ensureBucket,
  type StorageConfig,
  storageHealthProbe,
  translateStorageError,
} from './client.js';
