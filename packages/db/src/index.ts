export { createDb, type Db, type DbConfig } from './client.js';
export { isConnectionError, isUniqueViolation, translateDbError } from './errors.js';
export {
  defaultMigrationsDir,
  type MigrateResult,
  type Migration,
  migrate,
  readMigrations,
} from './migrate.js';
export { PrismaApiKeyRepository } from './repositories/api-key-repository.js';
export { PrismaProjectRepository } from './repositories/project-repository.js';
export {
  assertSpineSize,
  type OfflineRequest,
  type RangeRequest,
  rangeRowCount,
  retrieveOfflineFeatures,
  type SpineRow,
  streamRangeFeatures,
  wholeHoursIn,
} from './features/offline.js';
export { pendingInvalidations, type RefreshResult, refreshAggregates } from './features/refresh.js';
