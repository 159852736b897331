import { ApiKeyTokenSchema, describeZodIssues, ProjectNameSchema } from '@aihub/core';
import { z } from 'zod';

/** Every setting the server reads, validated once at start-up. Documented in .env.example. */
const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce.number().int().positive();

export const EnvSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
  DB_POOL_MAX: positiveInt.default(20),
  AIHUB_MIGRATE_ON_START: booleanString.default(true),
  /**
   * How long a presented API key stays cached in this process, in seconds; 0 turns the cache off.
   * Revocations reach every process at once through the database's announcements either way.
   */
  AUTH_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  /**
   * A Redis connection that has been sent commands and answered nothing for this long is dropped
   * (its pending commands fail, so nothing waits or piles up in memory) and reconnected, in ms.
   */
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY: z.string().min(1, 'must not be empty'),
  S3_SECRET_KEY: z.string().min(1, 'must not be empty'),
  S3_BUCKET_MODELS: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be a valid bucket name')
    .default('aihub-models'),
  S3_BUCKET_EXPORTS: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be a valid bucket name')
    .default('aihub-exports'),
  /**
   * Longest silence allowed on one request to the object store, in ms: no byte either way for this
   * long fails the call (UNAVAILABLE) and readiness reports the store as failing.
   */
  S3_TIMEOUT_MS: positiveInt.default(10_000),
  /** Unfinished multipart uploads older than this (left by killed processes) are aborted, in hours (fractions allowed). */
  S3_STALE_UPLOAD_HOURS: z.coerce.number().positive().default(24),
  /** Cron (UTC) of the sweep that aborts stale unfinished multipart uploads in both buckets. */
  AIHUB_UPLOAD_SWEEP_CRON: z.string().min(9).default('41 * * * *'),
  /** Multipart part size for artifact uploads, in MiB: the most an upload holds in memory is about two parts. */
  S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(512).default(16),
  /** The largest model artifact accepted, in bytes. */
  MODEL_MAX_ARTIFACT_BYTES: positiveInt.default(20 * 1024 ** 3),
  /**
   * An artifact upload holds its version for this long past its last progress, in seconds; then
   * another upload may take the version over, or the sweep marks it failed (process killed).
   */
  MODEL_UPLOAD_LEASE_SECONDS: positiveInt.default(60),
  /** How long presigned artifact download URLs stay valid, in seconds (at most 7 days). */
  MODEL_DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  /** Loaded ONNX models kept in memory per server process, in MiB of their artifacts (least recently used out first). */
  MODEL_CACHE_MB: positiveInt.default(512),
  /** Days of the prediction log kept (whole daily partitions dropped after). */
  PREDICTION_LOG_RETENTION_DAYS: positiveInt.default(30),
  /** Predictions queued for the log at most, per process; more are dropped and counted. */
  PREDICTION_LOG_QUEUE: positiveInt.default(10_000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Optional: when set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^\S+$/, 'must not contain spaces')
    .optional(),
  /** Optional: the built web console to serve at / (default apps/web/dist beside the server). */
  AIHUB_WEB_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
  AIHUB_ROOT_PROJECT: ProjectNameSchema.default('admin'),
  /** Optional: an admin key of the root project, created on start if it does not exist yet. */
  AIHUB_BOOTSTRAP_ADMIN_KEY: ApiKeyTokenSchema.optional(),
  RETENTION_READINGS_DAYS: positiveInt.default(400),
  RETENTION_FEATURES_DAYS: positiveInt.default(90),
  RETENTION_WEATHER_DAYS: positiveInt.default(365),
  /** Run job workers (refresh, retention) in this process; false for API-only processes. */
  AIHUB_WORKERS: booleanString.default(true),
  /** Cron (UTC) of the scheduled aggregate refresh; ingest also requests one right after each file. */
  AIHUB_REFRESH_CRON: z.string().min(9).default('* * * * *'),
  /** Cron (UTC) of the online materialization run (it also runs after every refresh that changed buckets). */
  AIHUB_MATERIALIZE_CRON: z.string().min(9).default('* * * * *'),
  /** Lifetime of a materialized online vector, in seconds (rewritten at every run, so this bounds staleness). */
  ONLINE_TTL_SECONDS: positiveInt.default(7_200),
  /** features.get reports `stale` for a vector older than this (relative to the time asked for), in seconds. */
  ONLINE_FRESHNESS_SECONDS: positiveInt.default(3_600),
  /** How long features.get waits for Redis before computing from PostgreSQL instead, in ms. */
  ONLINE_READ_TIMEOUT_MS: positiveInt.default(200),
  /** Exports this process runs at the same time (with AIHUB_WORKERS). */
  EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** A running export whose worker has not reported for this long is marked failed, in seconds. */
  EXPORT_HEARTBEAT_TIMEOUT_SECONDS: positiveInt.default(60),
  /** An export still running after this long is failed and its objects freed, in seconds (under 23 h). */
  EXPORT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(82_800).default(21_600),
  /** How long presigned export download URLs stay valid, in seconds (at most 7 days). */
  EXPORT_DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  /** Cron (UTC) of the retention job. */
  AIHUB_RETENTION_CRON: z.string().min(9).default('17 3 * * *'),
  /** Cron (UTC) of the feature-drift job over every production model with a training export. */
  AIHUB_DRIFT_CRON: z.string().min(9).default('37 * * * *'),
  /** Cron (UTC) of the anomaly job scoring the last complete hour for opted-in models (after the minute's refresh). */
  AIHUB_ANOMALY_CRON: z.string().min(9).default('7 * * * *'),
  /** Days of anomaly flags kept (by flagged hour); the retention job deletes older ones. */
  ANOMALY_RETENTION_DAYS: positiveInt.default(90),
});
export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** Parses the environment; a missing or malformed setting throws an EnvError naming each variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // Treat empty strings as unset, as shells and .env files commonly produce them.
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = EnvSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const { fields } = describeZodIssues(result.error.issues);
  const lines = Object.entries(fields).map(([name, reasons]) => `  ${name}: ${reasons.join('; ')}`);
  throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`);
}
