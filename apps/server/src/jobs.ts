import { DomainError, type FeatureSetRepository, type FeatureStore } from '@aihub/core';
import type { Db } from '@aihub/db';
import { applyRetention, refreshAggregates } from '@aihub/db';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Env } from './env.js';
import { describePgError } from './logger.js';
import { type AnomalyJobDeps, scoreLastCompleteHour } from './anomalies/score-last-hour.js';
import { type DriftDeps, measureProductionDrift } from './drift/measure-drift.js';
import { type ExportDeps, runExport, sweepDeadExports } from './exports/export-runner.js';
import { type ModelRegistryDeps, sweepAbandonedUploads } from './registry/service.js';
import type { Metrics } from './observability/metrics.js';
import { type OnlineDeps, runDueMaterializations } from './online/materialize.js';
import {
  type PredictionBatchDeps,
  runPredictionBatch,
  sweepDeadPredictionBatches,
} from './predictions/batch-runner.js';

/*
 * Durable background jobs on pg-boss: jobs live in PostgreSQL (schema pgboss), survive restarts,
 * and each runs once even with several server processes.
 */

export const REFRESH_QUEUE = 'aggregates-refresh';
export const RETENTION_QUEUE = 'maintenance-retention';
export const MATERIALIZE_QUEUE = 'online-materialize';
export const EXPORT_QUEUE = 'feature-exports';
export const UPLOAD_SWEEP_QUEUE = 'storage-upload-sweep';
export const DRIFT_QUEUE = 'feature-drift';
export const ANOMALY_QUEUE = 'anomaly-scoring';
export const PREDICTION_BATCH_QUEUE = 'prediction-batches';

export interface Jobs {
  /** Asks for an aggregate refresh soon; requests while one is queued collapse into it. */
  requestRefresh(): Promise<void>;
  /** Queues the job of an export record (status queued). */
  requestExport(exportId: string): Promise<void>;
  /** Queues the job of a prediction batch record (status queued). */
  requestPredictionBatch(batchId: string): Promise<void>;
  /** Asks for a materialization run soon; with a project, flags its registrations as changed first (new weather rows). Without one: Redis came back and may have restarted empty. */
  requestMaterialize(projectId?: string): Promise<void>;
  stop(): Promise<void>;
}

/** What the workers use beside the pool: the same ports the API uses. */
export interface JobDeps {
  featureStore: FeatureStore;
  featureSets: FeatureSetRepository;
  online: OnlineDeps;
  exports: ExportDeps;
  predictionBatches: PredictionBatchDeps;
  metrics: Metrics;
  registry: ModelRegistryDeps;
  drift: DriftDeps;
  anomalies: AnomalyJobDeps;
}

export async function startJobs(env: Env, pool: Db['pool'], logger: Logger, deps: JobDeps): Promise<Jobs> {
  const boss = new PgBoss({
    connectionString: env.DATABASE_URL,
    schema: 'pgboss',
    max: 3,
    application_name: 'aihub-jobs',
  });
  // pg-boss's pool runs every statement through pool.query, which handles a client's 'error' itself.
  boss.on('error', (error) => logger.error({ err: describePgError(error) }, 'job queue error'));
  await boss.start();
  // 'stately': at most one queued and one running job per queue, so bursts of ingest collapse.
  for (const name of [
    REFRESH_QUEUE,
    RETENTION_QUEUE,
    MATERIALIZE_QUEUE,
    UPLOAD_SWEEP_QUEUE,
    DRIFT_QUEUE,
    ANOMALY_QUEUE,
  ]) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy: 'stately' });
  }
  // Exports are not retried: a failed or killed export is reported failed, and the user starts
  // another. The runner fails an export at its own deadline (EXPORT_TIMEOUT_SECONDS); the queue's
  // expiry, a little later, frees the job slot should the runner itself be stuck. pg-boss 10 reads
  // only `expireInSeconds` from a queue's options (`expireInHours` was silently ignored, leaving
  // the 15-minute default), and an existing queue is updated to the current setting.
  const exportQueue = {
    name: EXPORT_QUEUE,
    policy: 'standard' as const,
    retryLimit: 0,
    expireInSeconds: env.EXPORT_TIMEOUT_SECONDS + 300,
  };
  // Prediction batches are jobs of the same kind, with the same deadline.
  for (const name of [EXPORT_QUEUE, PREDICTION_BATCH_QUEUE]) {
    const queue = { ...exportQueue, name };
    const existing = await boss.getQueue(name);
    if (!existing) await boss.createQueue(name, queue);
    else if (existing.expireInSeconds !== queue.expireInSeconds) await boss.updateQueue(name, queue);
  }
  // Aborted on stop: running exports end now, recorded failed with this reason, not left `running`.
  const shutdown = new AbortController();
  const workers = env.AIHUB_WORKERS
    ? await startWorkers(boss, env, pool, logger, deps, shutdown.signal)
    : { stop: () => {}, refresh: [], exports: [], batches: [], materialize: [] };
  // Workers poll every second; a job sent by this process wakes this process's idle workers at once.
  const wake = (ids: readonly string[]) => {
    for (const id of ids) boss.notifyWorker(id);
  };
  await boss.schedule(REFRESH_QUEUE, env.AIHUB_REFRESH_CRON);
  await boss.schedule(RETENTION_QUEUE, env.AIHUB_RETENTION_CRON);
  await boss.schedule(MATERIALIZE_QUEUE, env.AIHUB_MATERIALIZE_CRON);
  await boss.schedule(UPLOAD_SWEEP_QUEUE, env.AIHUB_UPLOAD_SWEEP_CRON);
  // Also once at start: a process that comes back after a crash frees what the crash left.
  if (env.AIHUB_WORKERS) await boss.send(UPLOAD_SWEEP_QUEUE, {});
  await boss.schedule(DRIFT_QUEUE, env.AIHUB_DRIFT_CRON);
  await boss.schedule(ANOMALY_QUEUE, env.AIHUB_ANOMALY_CRON);

  return {
    async requestRefresh() {
      await boss.send(REFRESH_QUEUE, {});
      wake(workers.refresh);
    },
    async requestExport(exportId) {
      await boss.send(EXPORT_QUEUE, { exportId });
      wake(workers.exports);
    },
    async requestPredictionBatch(batchId) {
      await boss.send(PREDICTION_BATCH_QUEUE, { batchId });
      wake(workers.batches);
    },
    async requestMaterialize(projectId) {
      if (projectId !== undefined) await deps.online.materializations.markChanged(projectId);
      await boss.send(MATERIALIZE_QUEUE, {});
      wake(workers.materialize);
    },
    async stop() {
      shutdown.abort(
        new DomainError('UNAVAILABLE', 'The server shut down during the export; start the export again'),
      );
      workers.stop();
      await boss.stop({ graceful: true, timeout: 10_000, wait: true });
    },
  };
}

async function startWorkers(
  boss: PgBoss,
  env: Env,
  pool: Db['pool'],
  logger: Logger,
  deps: JobDeps,
  signal: AbortSignal,
): Promise<{ stop(): void; refresh: string[]; exports: string[]; batches: string[]; materialize: string[] }> {
  // Every job's failure is counted (pg-boss records it too, but nothing else would show it).
  const counted =
    <T>(queue: string, handler: (jobs: T) => Promise<void>) =>
    async (jobs: T) => {
      try {
        await handler(jobs);
      } catch (error) {
        deps.metrics.jobFailures.inc({ queue });
        throw error;
      }
    };
  const refreshWorker = await boss.work(
    REFRESH_QUEUE,
    { pollingIntervalSeconds: 1 },
    counted(REFRESH_QUEUE, async () => {
      const result = await refreshAggregates(pool);
      if (result.hourlyBuckets > 0) {
        logger.info(result, 'aggregates refreshed');
        // Online vectors follow the aggregates: flag every materialization, then run them.
        await deps.online.materializations.markChanged();
        await boss.send(MATERIALIZE_QUEUE, {});
      }
    }),
  );
  const materializeWorker = await boss.work(
    MATERIALIZE_QUEUE,
    { pollingIntervalSeconds: 1 },
    counted(MATERIALIZE_QUEUE, async () => {
      const result = await runDueMaterializations(deps, logger);
      deps.metrics.materializationRuns.inc({ outcome: 'succeeded' }, result.materialized);
      deps.metrics.materializationRuns.inc({ outcome: 'failed' }, result.failed);
      if (result.storeReset) deps.metrics.onlineStoreResets.inc();
      if (result.materialized + result.failed > 0) logger.info(result, 'online vectors materialized');
    }),
  );
  await boss.work(
    RETENTION_QUEUE,
    { pollingIntervalSeconds: 5 },
    counted(RETENTION_QUEUE, async () => {
      const result = await applyRetention(pool, {
        readingsDays: env.RETENTION_READINGS_DAYS,
        weatherDays: env.RETENTION_WEATHER_DAYS,
        featuresDays: env.RETENTION_FEATURES_DAYS,
        predictionLogDays: env.PREDICTION_LOG_RETENTION_DAYS,
        anomalyFlagsDays: env.ANOMALY_RETENTION_DAYS,
        now: new Date(),
      });
      logger.info(result, 'retention applied');
    }),
  );
  // Drift of every production model with a training export; the reports are its history.
  await boss.work(
    DRIFT_QUEUE,
    { pollingIntervalSeconds: 5 },
    counted(DRIFT_QUEUE, async () => {
      const result = await measureProductionDrift(deps.drift, logger);
      if (result.measured + result.failed > 0) logger.info(result, 'feature drift measured');
    }),
  );
  // The last complete hour for every opted-in production model; a re-run replaces, never duplicates.
  await boss.work(
    ANOMALY_QUEUE,
    { pollingIntervalSeconds: 5 },
    counted(ANOMALY_QUEUE, async () => {
      const result = await scoreLastCompleteHour(deps.anomalies, logger);
      if (result.versions + result.failed > 0) logger.info(result, 'anomalies scored');
    }),
  );
  // One work() per concurrent export: pg-boss 10 hands each registration one job at a time.
  const exportWorkers: string[] = [];
  for (let i = 0; i < env.EXPORT_CONCURRENCY; i++) {
    exportWorkers.push(
      await boss.work<{ exportId: string }>(
        EXPORT_QUEUE,
        { pollingIntervalSeconds: 1 },
        counted(EXPORT_QUEUE, async ([job]) => {
          if (!job) return;
          const started = performance.now();
          const outcome = await runExport(deps, job.data.exportId, logger, signal);
          if (outcome !== 'skipped')
            deps.metrics.exportDuration.observe({ outcome }, (performance.now() - started) / 1000);
        }),
      ),
    );
  }
  const batchWorkers: string[] = [];
  for (let i = 0; i < env.EXPORT_CONCURRENCY; i++) {
    batchWorkers.push(
      await boss.work<{ batchId: string }>(
        PREDICTION_BATCH_QUEUE,
        { pollingIntervalSeconds: 1 },
        counted(PREDICTION_BATCH_QUEUE, async ([job]) => {
          if (job) await runPredictionBatch(deps, job.data.batchId, logger, signal);
        }),
      ),
    );
  }
  // Unfinished multipart uploads older than the limit (their process was killed) are aborted in
  // both buckets; the store keeps their parts otherwise.
  await boss.work(
    UPLOAD_SWEEP_QUEUE,
    { pollingIntervalSeconds: 5 },
    counted(UPLOAD_SWEEP_QUEUE, async () => {
      const olderThan = new Date(Date.now() - env.S3_STALE_UPLOAD_HOURS * 3_600_000);
      const aborted =
        (await deps.registry.artifacts.abortStaleUploads(olderThan)) +
        (await deps.exports.objects.abortStaleUploads(olderThan));
      if (aborted > 0) logger.info({ aborted, olderThan }, 'stale multipart uploads aborted');
    }),
  );
  // A process killed mid-export stops heartbeating, and one killed mid-upload stops renewing its
  // lease: any worker process finds them (at start and then periodically; sweeps from several
  // processes are safe, the updates are conditional).
  const sweep = async () => {
    await sweepDeadExports(deps.exports, logger).catch((error: unknown) =>
      logger.warn({ err: error }, 'export sweep failed'),
    );
    await sweepDeadPredictionBatches(deps.predictionBatches, logger).catch((error: unknown) =>
      logger.warn({ err: error }, 'prediction batch sweep failed'),
    );
    await sweepAbandonedUploads(deps.registry, logger).catch((error: unknown) =>
      logger.warn({ err: error }, 'upload sweep failed'),
    );
  };
  await sweep();
  const every = Math.min(deps.exports.heartbeatTimeoutMs / 2, deps.registry.uploadLeaseMs / 2);
  const timer = setInterval(() => void sweep(), Math.min(30_000, Math.max(1_000, every)));
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    refresh: [refreshWorker],
    exports: exportWorkers,
    batches: batchWorkers,
    materialize: [materializeWorker],
  };
}
