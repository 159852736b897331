import type pg from 'pg';
import type { Logger } from 'pino';

/*
 * The prediction log's writer: predictions are queued in memory and written in batches (one INSERT
 * of unnested arrays per batch), off the request's path. The queue is bounded: when it is full a
 * prediction is dropped and counted, never waited for, so a slow or unreachable database cannot
 * slow or fail a request. A batch that fails to insert is dropped and counted too (logged).
 * Partitions (one per UTC day) are created ahead, at most hourly; those past retention are dropped
 * by the scheduled retention job (applyRetention in @aihub/db), never by a writing process.
 */

export interface PredictionLogRow {
  loggedAt: Date;
  projectId: string;
  requestId: string;
  keyName: string;
  modelVersionId: string;
  entityId: string;
  featuresAsOf: Date;
  input: number[];
  output: number | null;
}

export interface PredictionLogOptions {
  maxQueued: number;
  batchSize: number;
  flushMs: number;
}

/** Where the writer reports what became of the rows (the process's /metrics counters). */
export interface PredictionLogObserver {
  written(rows: number): void;
  /** Rows that did not fit in the queue. */
  dropped(rows: number): void;
  /** A batch that could not be inserted (its rows are dropped). */
  failed(rows: number): void;
}

const noObserver: PredictionLogObserver = { written() {}, dropped() {}, failed() {} };

const DAY = 86_400_000;

export class PredictionLog {
  private queue: PredictionLogRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private maintainedAt = 0;
  readonly counts = { written: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PredictionLogOptions,
    private readonly log: Logger,
    private readonly observer: PredictionLogObserver = noObserver,
  ) {}

  /** Queues rows; those that do not fit are dropped and counted. Never throws, never waits. */
  record(rows: readonly PredictionLogRow[]): void {
    const room = this.options.maxQueued - this.queue.length;
    if (room < rows.length) {
      const dropped = rows.length - Math.max(0, room);
      this.counts.dropped += dropped;
      this.observer.dropped(dropped);
    }
    if (room > 0) this.queue.push(...rows.slice(0, room));
    if (this.queue.length > 0 && !this.timer && !this.flushing) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.timer.unref();
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Writes everything queued now (batch by batch); resolves when done. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.batchSize);
        try {
          await this.maintain();
          await this.insert(batch);
          this.counts.written += batch.length;
          this.observer.written(batch.length);
        } catch (error) {
          this.counts.failed += batch.length;
          this.observer.failed(batch.length);
          this.log.warn({ err: error, rows: batch.length }, 'prediction log batch not written (dropped)');
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async insert(batch: readonly PredictionLogRow[]): Promise<void> {
    // Arrays of arrays cannot be unnested into rows of arrays, so inputs travel as JSON text.
    await this.pool.query(
      `INSERT INTO prediction_log (logged_at, project_id, request_id, key_name, model_version_id, entity_id,
                                   features_as_of, input, output)
       SELECT t.logged_at, t.project_id, t.request_id, t.key_name, t.model_version_id, t.entity_id,
              t.features_as_of,
              ARRAY(SELECT CASE WHEN e = 'null'::jsonb THEN 'NaN'::float8 ELSE (e #>> '{}')::float8 END
                      FROM jsonb_array_elements(t.input) e),
              t.output
         FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[],
                     $7::timestamptz[], $8::jsonb[], $9::float8[])
              AS t(logged_at, project_id, request_id, key_name, model_version_id, entity_id,
                   features_as_of, input, output)`,
      [
        batch.map((r) => r.loggedAt),
        batch.map((r) => r.projectId),
        batch.map((r) => r.requestId),
        batch.map((r) => r.keyName),
        batch.map((r) => r.modelVersionId),
        batch.map((r) => r.entityId),
        batch.map((r) => r.featuresAsOf),
        // JSON has no NaN: null stands for it.
        batch.map((r) => JSON.stringify(r.input.map((v) => (Number.isFinite(v) ? v : null)))),
        batch.map((r) => r.output),
      ],
    );
  }

  /** At most hourly: today's and tomorrow's partitions exist. */
  private async maintain(now = Date.now()): Promise<void> {
    if (now - this.maintainedAt < 3_600_000) return;
    await this.pool.query('SELECT aihub_ensure_prediction_log_partitions($1, $2)', [
      new Date(now - DAY),
      new Date(now + 2 * DAY),
    ]);
    this.maintainedAt = now;
  }
}
