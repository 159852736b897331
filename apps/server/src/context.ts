import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApiKeyRepository,
  FeatureSetRepository,
  FeatureStore,
  HealthProbe,
  Principal,
  ProjectRepository,
} from '@aihub/core';
import type { Logger } from 'pino';
import type { AnomalyJobDeps } from './anomalies/score-last-hour.js';
import type { DriftDeps } from './drift/measure-drift.js';
import type { ExportDeps } from './exports/export-runner.js';
import type { Metrics } from './observability/metrics.js';
import { type RequestRecord, requestRecordOf } from './observability/request-record.js';
import type { OnlineDeps } from './online/materialize.js';
import type { PredictionBatchDeps } from './predictions/batch-runner.js';
import type { ModelCache } from './predictions/model-cache.js';
import type { PredictionLog } from './predictions/prediction-log.js';
import type { VersionResolution } from './predictions/version-resolution.js';
import type { ModelRegistryDeps } from './registry/service.js';

/** Everything a procedure may use; built once by the composition root (or by a test). */
export interface AppDeps {
  projects: ProjectRepository;
  apiKeys: ApiKeyRepository;
  probes: readonly HealthProbe[];
  logger: Logger;
  /** Offline feature store: ingest, aggregates, point-in-time retrieval, retention. */
  featureStore: FeatureStore;
  featureSets: FeatureSetRepository;
  /**
   * Background work (pg-boss): an aggregate refresh soon; an export job for a queued export; a
   * rewrite of a project's online vectors (after a weather ingest).
   */
  jobs: {
    requestRefresh(): Promise<void>;
    requestExport(exportId: string): Promise<void>;
    requestPredictionBatch(batchId: string): Promise<void>;
    requestMaterialize(projectId: string): Promise<void>;
  };
  /** Online serving: the Redis store, the materialization registry and their settings. */
  online: OnlineDeps;
  /** Training-set exports: records in PostgreSQL, files in object storage. */
  exports: ExportDeps;
  /** Retention settings (days), from the environment. */
  retention: {
    readingsDays: number;
    weatherDays: number;
    featuresDays: number;
    predictionLogDays: number;
    anomalyFlagsDays: number;
  };
  /** Model registry: versions in PostgreSQL, artifacts in object storage. */
  registry: ModelRegistryDeps;
  /** Served predictions: the loaded-model cache and the resolved references of this process. */
  predictions: { cache: ModelCache; versions: VersionResolution; log: PredictionLog };
  /** Batch predictions: records in PostgreSQL, files in the exports bucket. */
  predictionBatches: PredictionBatchDeps;
  /** Feature drift of models: reports, and the registry and exports they read. */
  drift: DriftDeps;
  /** Anomaly flags of the scheduled job, and what scoring reads. */
  anomalies: AnomalyJobDeps;
  /** Prometheus metrics of this app (GET /metrics). */
  metrics: Metrics;
  /** When set, /metrics answers only `Authorization: Bearer <this>`. */
  metricsToken: string | undefined;
}

/** The inner context: plain values, so tests can build it without HTTP. */
export interface Context {
  deps: AppDeps;
  requestId: string;
  log: Logger;
  /** The raw `Authorization` header; resolved into a principal only by procedures that need one. */
  authorization: string | undefined;
  /** The request's log/metrics record (absent for calls made without HTTP). */
  record?: RequestRecord | undefined;
}

export interface AuthedContext extends Context {
  principal: Principal;
}

export function createInnerContext(
  deps: AppDeps,
  options: { requestId: string; authorization?: string; record?: RequestRecord | undefined },
): Context {
  return {
    deps,
    requestId: options.requestId,
    log: deps.logger.child({ requestId: options.requestId }),
    authorization: options.authorization,
    record: options.record,
  };
}

/** The outer context: reads the HTTP request. The request id is assigned by the HTTP layer. */
export function createRequestContext(deps: AppDeps, req: IncomingMessage, res: ServerResponse): Context {
  const requestId = String(res.getHeader('x-request-id'));
  const header = req.headers.authorization;
  return createInnerContext(deps, {
    requestId,
    record: requestRecordOf(req),
    ...(header === undefined ? {} : { authorization: header }),
  });
}
