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
