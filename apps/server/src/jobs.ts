import { applyRetention, refreshAggregates } from '@aihub/db';
import PgBoss from 'pg-boss';
import type { Db } from '@aihub/db';
import type { Logger } from 'pino';
import type { Env } from './env.js';

/*
 * Durable background jobs on pg-boss: jobs live in PostgreSQL (schema pgboss), survive restarts,
 * and each runs once even with several server processes.
 */

export const REFRESH_QUEUE = 'aggregates-refresh';
export const RETENTION_QUEUE = 'maintenance-retention';

export interface Jobs {
  /** Asks for an aggregate refresh soon; requests while one is queued collapse into it. */
  requestRefresh(): Promise<void>;
  stop(): Promise<void>;
}

export async function startJobs(env: Env, pool: Db['pool'], logger: Logger): Promise<Jobs> {
  const boss = new PgBoss({
    connectionString: env.DATABASE_URL,
    schema: 'pgboss',
    max: 3,
    application_name: 'aihub-jobs',
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  await boss.start();
  // 'stately': at most one queued and one running job per queue, so bursts of ingest collapse.
  for (const name of [REFRESH_QUEUE, RETENTION_QUEUE]) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy: 'stately' });
  }
  if (env.AIHUB_WORKERS) await startWorkers(boss, env, pool, logger);
  await boss.schedule(REFRESH_QUEUE, env.AIHUB_REFRESH_CRON);
  await boss.schedule(RETENTION_QUEUE, env.AIHUB_RETENTION_CRON);

  return {
    async requestRefresh() {
      await boss.send(REFRESH_QUEUE, {});
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000, wait: true });
    },
  };
}

async function startWorkers(boss: PgBoss, env: Env, pool: Db['pool'], logger: Logger): Promise<void> {
  await boss.work(REFRESH_QUEUE, { pollingIntervalSeconds: 1 }, async () => {
    const result = await refreshAggregates(pool);
    if (result.hourlyBuckets > 0) logger.info(result, 'aggregates refreshed');
  });
  await boss.work(RETENTION_QUEUE, { pollingIntervalSeconds: 5 }, async () => {
    const result = await applyRetention(pool, {
      readingsDays: env.RETENTION_READINGS_DAYS,
      weatherDays: env.RETENTION_WEATHER_DAYS,
      now: new Date(),
    });
    logger.info(result, 'retention applied');
  });
}
