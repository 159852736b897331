import { ExportStatusSchema } from '@aihub/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/*
 * The process's Prometheus metrics (prom-client), one registry per app so several servers in one
 * process (tests) never mix their figures. Counters and histograms are updated where things
 * happen; gauges that describe shared state (registrations, backlog, queues, pools) are read from
 * their source when /metrics is scraped, so every server process reports the same truth.
 */

/** What the scrape-time gauges read. Each source is bounded by a timeout; a failing one is reported, not fatal. */
export interface MetricSources {
  /** Enabled online registrations with the hour of their served vectors. */
  materializations(): Promise<
    readonly {
      project: string;
      featureSet: string;
      version: number;
      metric: string;
      lastAsOf: Date | null;
      lastError: string | null;
    }[]
  >;
  /** Hourly buckets waiting for an aggregate refresh, all projects. */
  pendingBuckets(): Promise<number>;
  /** Export records per status, all projects. */
  exportsByStatus(): Promise<Readonly<Record<string, number>>>;
  /** Prediction batch records per status, all projects. */
  predictionBatchesByStatus(): Promise<Readonly<Record<string, number>>>;
  /** PostgreSQL pools of this process. */
  pgPools: readonly { name: string; pool: { totalCount: number; idleCount: number; waitingCount: number } }[];
  /** The Redis connection of this process. */
  redis: { status: string; commandQueue: { length: number } };
}

const SOURCE_TIMEOUT_MS = 2_000;

// Request latencies from sub-millisecond cache hits to long exports' enqueueing and big ingests.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

export type OnlineOutcome = 'hit' | 'miss' | 'fallback';

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;

  private readonly sourceUp = new Gauge({
    name: 'aihub_metrics_source_up',
    help: '1 when a scrape-time metric source answered within 2 s (0: its gauges are absent from this scrape).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  // One read per source per scrape, although two gauges may use it.
  private scrapeReads = new Map<string, Promise<unknown>>();
  private poolsAtScrape: { name: string; total: number; idle: number; waiting: number }[] = [];

  readonly requests = new Counter({
    name: 'aihub_requests_total',
    help: 'Requests (tRPC calls and HTTP endpoints) by procedure and HTTP status.',
    labelNames: ['procedure', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'aihub_request_duration_seconds',
    help: 'Request latency by procedure and HTTP status.',
    labelNames: ['procedure', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly onlineVectors = new Counter({
    name: 'aihub_online_vectors_total',
    help: 'Current-hour vectors asked of features.get: hit (served from Redis), miss (Redis had none; computed from PostgreSQL), fallback (Redis unavailable or slow; computed from PostgreSQL).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly materializationRuns = new Counter({
    name: 'aihub_materialization_runs_total',
    help: 'Materialization runs of online registrations in this process, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly onlineStoreResets = new Counter({
    name: 'aihub_online_store_resets_total',
    help: 'Times this process found the online store emptied (Redis restarted or flushed) and re-materialized every registration.',
    registers: [this.registry],
  });

  readonly jobFailures = new Counter({
    name: 'aihub_job_failures_total',
    help: 'Background jobs that failed in this process, by queue.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly exportDuration = new Histogram({
    name: 'aihub_export_duration_seconds',
    help: 'Training-set exports run by this process, from claim to end, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  private readonly predictionLogRows = new Counter({
    name: 'aihub_prediction_log_rows_total',
    help: 'Predictions of this process for the prediction log, by outcome: written, dropped_queue_full (the bounded queue was full), failed (their batch could not be inserted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly predictionLogFailedBatches = new Counter({
    name: 'aihub_prediction_log_failed_batches_total',
    help: 'Batches of the prediction log this process could not insert (their rows are dropped).',
    registers: [this.registry],
  });

  /** What the prediction log's writer reports (PredictionLogObserver). */
  readonly predictionLog = {
    written: (rows: number) => this.predictionLogRows.inc({ outcome: 'written' }, rows),
    dropped: (rows: number) => this.predictionLogRows.inc({ outcome: 'dropped_queue_full' }, rows),
    failed: (rows: number) => {
      this.predictionLogRows.inc({ outcome: 'failed' }, rows);
      this.predictionLogFailedBatches.inc();
    },
  };

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'aihub_' });
    // Every outcome is exported from the start (at 0), so rates and alerts see it before it first happens.
    for (const outcome of ['hit', 'miss', 'fallback'] as const) this.onlineVectors.inc({ outcome }, 0);
    for (const outcome of ['succeeded', 'failed'] as const) this.materializationRuns.inc({ outcome }, 0);
    for (const outcome of ['written', 'dropped_queue_full', 'failed'] as const)
      this.predictionLogRows.inc({ outcome }, 0);
    const self = this;
    new Gauge({
      name: 'aihub_materialization_lag_seconds',
      help: 'Age of the hour whose vectors an online registration serves (now minus that hour); absent until its first run.',
      labelNames: ['project', 'feature_set', 'version', 'metric'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await self.read('materializations', (s) => s.materializations());
        const now = Date.now();
        for (const m of rows ?? []) {
          if (!m.lastAsOf) continue;
          const labels = {
            project: m.project,
            feature_set: m.featureSet,
            version: m.version,
            metric: m.metric,
          };
          this.set(labels, (now - m.lastAsOf.getTime()) / 1000);
        }
      },
    });
    new Gauge({
      name: 'aihub_materialization_failing',
      help: '1 when the last materialization run of an online registration failed.',
      labelNames: ['project', 'feature_set', 'version', 'metric'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const m of (await self.read('materializations', (s) => s.materializations())) ?? []) {
          const labels = {
            project: m.project,
            feature_set: m.featureSet,
            version: m.version,
            metric: m.metric,
          };
          this.set(labels, m.lastError === null ? 0 : 1);
        }
      },
    });
    new Gauge({
      name: 'aihub_refresh_backlog_buckets',
      help: 'Hourly aggregate buckets waiting for a refresh (all projects; an upper bound).',
      registers: [this.registry],
      async collect() {
        this.reset();
        const pending = await self.read('refresh_backlog', (s) => s.pendingBuckets());
        if (pending !== undefined) this.set(pending);
      },
    });
    new Gauge({
      name: 'aihub_exports',
      help: 'Training-set export records by status (all projects): queued is the queue depth.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await self.read('exports', (s) => s.exportsByStatus());
        for (const status of ExportStatusSchema.options) {
          if (counts) this.set({ status }, counts[status] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'aihub_prediction_batches',
      help: 'Prediction batch records by status (all projects): queued is the queue depth.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = await self.read('prediction_batches', (s) => s.predictionBatchesByStatus());
        for (const status of ExportStatusSchema.options) {
          if (counts) this.set({ status }, counts[status] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'aihub_pg_pool_connections',
      help: 'PostgreSQL pool connections of this process: total open, idle, and requests waiting for one.',
      labelNames: ['pool', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { name, total, idle, waiting } of self.poolsAtScrape) {
          this.set({ pool: name, state: 'total' }, total);
          this.set({ pool: name, state: 'idle' }, idle);
          this.set({ pool: name, state: 'waiting' }, waiting);
        }
      },
    });
    new Gauge({
      name: 'aihub_redis_connected',
      help: '1 while the Redis connection of this process is ready for commands.',
      registers: [this.registry],
      collect() {
        const redis = self.sources?.redis;
        if (redis) this.set(redis.status === 'ready' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'aihub_redis_pending_commands',
      help: 'Commands sent on the Redis connection of this process and not answered yet.',
      registers: [this.registry],
      collect() {
        const redis = self.sources?.redis;
        if (redis) this.set(redis.commandQueue.length);
      },
    });
  }

  /** Connects the scrape-time gauges to the app's clients (done once the clients exist). */
  attach(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.scrapeReads = new Map();
    // Pools as they are before this scrape's own queries take connections.
    this.poolsAtScrape = (this.sources?.pgPools ?? []).map(({ name, pool }) => ({
      name,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Records one finished request or tRPC call. */
  observeRequest(procedure: string, status: number, seconds: number): void {
    const labels = { procedure, status: String(status) };
    this.requests.inc(labels);
    this.requestDuration.observe(labels, seconds);
  }

  private read<T>(name: string, get: (sources: MetricSources) => Promise<T>): Promise<T | undefined> {
    const pending = this.scrapeReads.get(name);
    if (pending) return pending as Promise<T | undefined>;
    const value = this.readNow(name, get);
    this.scrapeReads.set(name, value);
    return value;
  }

  private async readNow<T>(
    name: string,
    get: (sources: MetricSources) => Promise<T>,
  ): Promise<T | undefined> {
    if (!this.sources) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        get(this.sources),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), SOURCE_TIMEOUT_MS);
        }),
      ]);
      this.sourceUp.set({ source: name }, 1);
      return value;
    } catch {
      this.sourceUp.set({ source: name }, 0);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
