import type { HealthProbe } from '@aihub/core';
import {
  ApiKeyCache,
  createDb,
  migrate,
  PgAnomalyRepository,
  PgDriftRepository,
  PgExportRepository,
  PgFeatureStore,
  PgMaterializationRepository,
  PgPredictionBatchRepository,
  PgServedFeatureHistory,
  PrismaApiKeyRepository,
  PrismaFeatureSetRepository,
  PrismaProjectRepository,
} from '@aihub/db';
import { createS3Client, S3ArtifactStore, storageHealthProbe } from '@aihub/storage';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { apiKeyPrefix, hashApiKey } from './api-keys.js';
import type { AppDeps } from './context.js';
import type { Env } from './env.js';
import { startJobs } from './jobs.js';
import { describePgError } from './logger.js';
import { Metrics } from './observability/metrics.js';
import { RedisOnlineStore } from './online/redis-online-store.js';
import { ModelAnnouncements } from './predictions/model-announcements.js';
import { ModelCache } from './predictions/model-cache.js';
import { PredictionLog } from './predictions/prediction-log.js';
import { checkServableUpload, loadServable, warmAnnounced } from './predictions/serving.js';
import { VersionResolution } from './predictions/version-resolution.js';
import { createModelRegistryDeps } from './registry/service.js';

/** The composition root: real clients for every port, plus the way to close them. */
export interface App {
  deps: AppDeps;
  close(): Promise<void>;
}

export async function createApp(env: Env, logger: Logger): Promise<App> {
  if (env.AIHUB_MIGRATE_ON_START) {
    const result = await migrate({ url: env.DATABASE_URL, log: (line) => logger.info(line) });
    logger.info(
      { applied: result.applied.length, alreadyApplied: result.alreadyApplied.length },
      'database migrated',
    );
  }
  const db = createDb({
    url: env.DATABASE_URL,
    poolMax: env.DB_POOL_MAX,
    applicationName: 'aihub-server',
    onConnectionError: (error) => logger.warn({ err: describePgError(error) }, 'PostgreSQL connection lost'),
  });
  const keyCache =
    env.AUTH_CACHE_TTL_SECONDS > 0
      ? new ApiKeyCache({
          url: env.DATABASE_URL,
          ttlMs: env.AUTH_CACHE_TTL_SECONDS * 1000,
          onStateChange: (listening, error) =>
            listening
              ? logger.info('API key cache on (listening for key changes)')
              : logger.warn({ err: error }, 'API key cache off until the database connection is back'),
        })
      : undefined;
  await keyCache?.start();
  const metrics = new Metrics();
  // No offline queue: while Redis is down, commands fail at once instead of piling up in memory.
  // A Redis that accepts but never answers (paused, wedged): every command fails after
  // REDIS_TIMEOUT_MS (commandTimeout), and a connection that has answered nothing for that long
  // is dropped (socketTimeout), so later commands fail at once instead of queueing behind it;
  // what it held is not re-sent on reconnect (its callers were already told it failed).
  const redis = new Redis(env.REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: env.REDIS_TIMEOUT_MS,
    socketTimeout: env.REDIS_TIMEOUT_MS,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  // Wait for the first connection, but start anyway when Redis is down: readiness reports it, and
  // ioredis keeps reconnecting in the background.
  await redis
    .connect()
    .catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable yet; retrying'));
  const s3 = createS3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    partSize: env.S3_PART_SIZE_MB * 1024 * 1024,
    timeoutMs: env.S3_TIMEOUT_MS,
  });

  const probes: HealthProbe[] = [
    { name: 'postgres', ping: async () => void (await db.pool.query('SELECT 1')) },
    { name: 'redis', ping: async () => void (await redis.ping()) },
    storageHealthProbe(s3),
  ];
  const featureStore = new PgFeatureStore(db.pool);
  const featureSets = new PrismaFeatureSetRepository(db.prisma);
  const online = {
    online: new RedisOnlineStore(redis, { timeoutMs: env.REDIS_TIMEOUT_MS }),
    history: new PgServedFeatureHistory(db.pool),
    materializations: new PgMaterializationRepository(db.pool),
    ttlSeconds: env.ONLINE_TTL_SECONDS,
    freshnessMs: env.ONLINE_FRESHNESS_SECONDS * 1000,
    readTimeoutMs: env.ONLINE_READ_TIMEOUT_MS,
  };
  const exports = {
    exports: new PgExportRepository(db.pool),
    objects: new S3ArtifactStore(s3, env.S3_BUCKET_EXPORTS, env.S3_REGION, env.S3_PART_SIZE_MB * 1024 * 1024),
    downloadUrlTtlSeconds: env.EXPORT_DOWNLOAD_URL_TTL_SECONDS,
    heartbeatTimeoutMs: env.EXPORT_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    timeoutMs: env.EXPORT_TIMEOUT_SECONDS * 1000,
  };
  const materializations = online.materializations;
  const registry = createModelRegistryDeps(env, db.pool, s3);
  const serving = { artifacts: registry.artifacts, featureSets };
  registry.checkUpload = (version, artifact) => checkServableUpload(serving, version, artifact);
  const modelCache = new ModelCache(env.MODEL_CACHE_MB * 1024 * 1024, (version) =>
    loadServable(serving, version),
  );
  const announcements: ModelAnnouncements = new ModelAnnouncements(
    env.DATABASE_URL,
    (projectId, versionId) => warmAnnounced(registry.models, modelCache, projectId, versionId),
    logger,
    (projectId) => versions.changed(projectId),
  );
  const versions = new VersionResolution(
    (timeoutMs) => announcements.barrier(timeoutMs),
    (projectId, ref) => registry.models.get(projectId, ref),
    // Past this, a request reads the registry itself (the LISTEN connection is slow or gone).
    { barrierTimeoutMs: 1_000 },
  );
  const predictions = {
    cache: modelCache,
    versions,
    log: new PredictionLog(
      db.pool,
      {
        maxQueued: env.PREDICTION_LOG_QUEUE,
        batchSize: 1_000,
        flushMs: 200,
      },
      logger,
      metrics.predictionLog,
    ),
  };
  const predictionBatches = {
    batches: new PgPredictionBatchRepository(db.pool),
    objects: exports.objects,
    models: registry.models,
    cache: predictions.cache,
    downloadUrlTtlSeconds: exports.downloadUrlTtlSeconds,
    heartbeatTimeoutMs: exports.heartbeatTimeoutMs,
    timeoutMs: exports.timeoutMs,
  };
  await announcements.start();
  const drift = {
    reports: new PgDriftRepository(db.pool),
    models: registry.models,
    exports: exports.exports,
  };
  const anomalies = {
    flags: new PgAnomalyRepository(db.pool),
    models: registry.models,
    featureStore,
    featureSets,
    cache: predictions.cache,
  };
  const jobs = await startJobs(env, db.pool, logger, {
    anomalies,
    featureStore,
    featureSets,
    online,
    exports,
    predictionBatches,
    metrics,
    registry,
    drift,
  });
  // Each (re)connection may be to a Redis that restarted empty: a materialization run checks the
  // store's mark and, if it is gone, rewrites every registration (runDueMaterializations).
  redis.on('ready', () => {
    jobs
      .requestMaterialize()
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'could not request a materialization after Redis reconnected'),
      );
  });
  metrics.attach({
    materializations: async () =>
      (await materializations.listEnabled()).map((m) => ({ ...m, project: m.projectName })),
    pendingBuckets: () => featureStore.pendingInvalidations(),
    exportsByStatus: () => exports.exports.countByStatus(),
    predictionBatchesByStatus: () => predictionBatches.batches.countByStatus(),
    pgPools: [{ name: 'main', pool: db.pool }],
    redis,
  });
  const deps: AppDeps = {
    projects: new PrismaProjectRepository(db.prisma),
    apiKeys: new PrismaApiKeyRepository(db.prisma, db.pool, keyCache),
    probes,
    logger,
    registry,
    predictions,
    predictionBatches,
    drift,
    anomalies,
    featureStore,
    featureSets,
    jobs,
    online,
    exports,
    retention: {
      readingsDays: env.RETENTION_READINGS_DAYS,
      weatherDays: env.RETENTION_WEATHER_DAYS,
      featuresDays: env.RETENTION_FEATURES_DAYS,
      predictionLogDays: env.PREDICTION_LOG_RETENTION_DAYS,
      anomalyFlagsDays: env.ANOMALY_RETENTION_DAYS,
    },
    metrics,
    metricsToken: env.METRICS_TOKEN,
  };

  const root = await deps.projects.ensureRoot(env.AIHUB_ROOT_PROJECT);
  if (env.AIHUB_BOOTSTRAP_ADMIN_KEY) {
    // Created once; a bootstrap key that an admin later revoked stays revoked.
    const key = await deps.apiKeys.ensure({
      projectId: root.id,
      name: 'bootstrap-admin',
      role: 'admin',
      prefix: apiKeyPrefix(env.AIHUB_BOOTSTRAP_ADMIN_KEY),
      hash: hashApiKey(env.AIHUB_BOOTSTRAP_ADMIN_KEY),
    });
    logger.info(
      { project: root.name, key: key.prefix, revoked: key.revokedAt !== null },
      'bootstrap admin key present',
    );
  }

  return {
    deps,
    async close() {
      await jobs.stop();
      await keyCache?.stop();
      await announcements.stop();
      await predictions.cache.close();
      await predictions.log.close();
      redis.disconnect();
      await db.close();
    },
  };
}
