export { createDb, type Db, type DbConfig } from './client.js';
export { isConnectionError, isUniqueViolation, translateDbError } from './errors.js';
export { PgFeatureStore } from './features/feature-store.js';
export { ingestBatches } from './features/ingest.js';
export {
  assertSpineSize,
  rangeSlices,
  retrieveOfflineFeatures,
  streamRangeFeatures,
} from './features/offline.js';
export { pendingInvalidations, refreshAggregates } from './features/refresh.js';
export { applyRetention } from './features/retention.js';
export {
  defaultMigrationsDir,
  type MigrateResult,
  type Migration,
  migrate,
  readMigrations,
} from './migrate.js';
export {
  type ActiveKey,
  API_KEY_CHANNEL,
  ApiKeyCache,
  type ApiKeyCacheOptions,
} from './repositories/api-key-cache.js';
export { PrismaApiKeyRepository } from './repositories/api-key-repository.js';
export { PgAnomalyRepository } from './repositories/anomaly-repository.js';
export { PgDriftRepository } from './repositories/drift-repository.js';
export { PgExportRepository } from './repositories/export-repository.js';
export { PgPredictionBatchRepository } from './repositories/prediction-batch-repository.js';
export { PrismaFeatureSetRepository } from './repositories/feature-set-repository.js';
export { PgMaterializationRepository } from './repositories/materialization-repository.js';
export { PgModelRegistryRepository } from './repositories/model-registry-repository.js';
export { PrismaProjectRepository } from './repositories/project-repository.js';
export {
  dropExpiredFeatureHistory,
  dropExpiredPredictionLog,
  ensureFeatureHistoryPartitions,
  PgServedFeatureHistory,
} from './features/served-history.js';
