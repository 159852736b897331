import type { z } from 'zod';
import * as answers from './answers.js';

/*
 * The REST routes: each one a procedure of the tRPC router, served as plain JSON. This table is
 * the only place a REST route is declared; the handler (rest/handler.ts), the OpenAPI document
 * (rest/openapi.ts) and the README's route table are all read from it, and a test fails when a
 * procedure has no route here.
 */

export type RestMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** How a path parameter becomes input fields of the procedure. */
export type PathParam =
  /** The value as this input field. */
  | { field: string; description: string; example: string }
  /**
   * A model version: its id, or `name@3`, `name@v3`, `name@<stage>`, `name@<alias>`, spread into
   * the procedure's reference fields (id, or name with version, stage or alias).
   */
  | { modelRef: 'any' | 'version'; description: string; example: string };

/** The input fields a model reference in the path fills. */
export function modelRefFields(param: PathParam): string[] {
  if ('field' in param) return [param.field];
  return param.modelRef === 'any' ? ['id', 'name', 'version', 'stage', 'alias'] : ['id', 'name', 'version'];
}

export interface RestExample {
  query?: Record<string, string | string[]>;
  body?: Record<string, unknown>;
}

export interface RestRoute {
  method: RestMethod;
  /** OpenAPI path template: `/ai/models/{model_id}`. */
  path: string;
  /** The tRPC procedure it calls: `models.get`. */
  procedure: string;
  summary: string;
  /** Needs no API key. */
  public?: boolean;
  params?: Record<string, PathParam>;
  /** The documented answer (a wire schema: dates as strings). */
  answer: z.ZodType;
  /** Example input, shown in the document and sent by the route test. */
  example?: RestExample;
}

const modelId: PathParam = {
  modelRef: 'any',
  description:
    'A model version: its id (uuid), or `name@3` / `name@v3` (version), `name@production` (stage: newest ready version in it) or `name@champion` (alias)',
  example: 'load-forecast@1',
};
const modelVersionId: PathParam = {
  modelRef: 'version',
  description: 'A model version: its id (uuid), or `name@3` / `name@v3`',
  example: 'load-forecast@1',
};
const modelName = (example: string): PathParam => ({ field: 'name', description: 'Model name', example });
const exportId: PathParam = {
  field: 'id',
  description: 'Export id (uuid)',
  example: '00000000-0000-4000-8000-000000000000',
};
const batchId: PathParam = {
  field: 'id',
  description: 'Prediction batch id (uuid)',
  example: '00000000-0000-4000-8000-000000000000',
};

const spineExample = [
  { entityId: 'meter-1', asOf: '2026-03-01T12:00:00Z' },
  { entityId: 'meter-2', asOf: '2026-03-01T13:00:00Z' },
];

export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: 'GET',
    path: '/ai/health/live',
    procedure: 'health.live',
    summary: 'The process is up',
    public: true,
    answer: answers.Live,
  },
  {
    method: 'GET',
    path: '/ai/health/ready',
    procedure: 'health.ready',
    summary: 'PostgreSQL, Redis and object storage each answer',
    public: true,
    answer: answers.Readiness,
  },
  {
    method: 'GET',
    path: '/ai/auth/whoami',
    procedure: 'auth.whoami',
    summary: "The calling key's name, role and project",
    answer: answers.WhoAmI,
  },
  {
    method: 'GET',
    path: '/ai/projects',
    procedure: 'projects.list',
    summary: 'Projects (all for root admins, else your own)',
    answer: answers.ProjectList,
  },
  {
    method: 'POST',
    path: '/ai/projects',
    procedure: 'projects.create',
    summary: 'Create a project and its first admin key (root admins; the token is shown once)',
    answer: answers.ProjectCreated,
    example: { body: { name: 'meters-eu', description: 'EU smart meters' } },
  },
  {
    method: 'GET',
    path: '/ai/keys',
    procedure: 'keys.list',
    summary: "API keys of your project (or, for root admins, another project's)",
    answer: answers.ApiKeyList,
    example: { query: { includeRevoked: 'true' } },
  },
  {
    method: 'POST',
    path: '/ai/keys',
    procedure: 'keys.create',
    summary: 'Create an API key (the token is shown once)',
    answer: answers.ApiKeyCreated,
    example: { body: { name: 'trainer', role: 'reader' } },
  },
  {
    method: 'DELETE',
    path: '/ai/keys/{key_id}',
    procedure: 'keys.revoke',
    summary: 'Revoke an API key (fails on its very next request)',
    params: {
      key_id: {
        field: 'id',
        description: 'API key id (uuid)',
        example: '00000000-0000-4000-8000-000000000000',
      },
    },
    answer: answers.ApiKey,
  },
  ...(['entities', 'readings', 'weather'] as const).map(
    (kind): RestRoute => ({
      method: 'POST',
      path: `/ai/ingest/${kind}`,
      procedure: `ingest.${kind}`,
      summary: `Ingest up to 10,000 ${kind} records as JSON (files: POST /v1/ingest/${kind})`,
      answer: answers.IngestSummary,
      example: { body: { records: answers.INGEST_EXAMPLES[kind], strict: false } },
    }),
  ),
  {
    method: 'GET',
    path: '/ai/entities',
    procedure: 'entities.list',
    summary: 'Entities with location and time zone',
    answer: answers.EntityList,
    example: { query: { ids: ['meter-1', 'meter-2'] } },
  },
  {
    method: 'GET',
    path: '/ai/aggregates/status',
    procedure: 'aggregates.status',
    summary: 'Hourly buckets waiting for an aggregate refresh',
    answer: answers.AggregatesStatus,
  },
  {
    method: 'POST',
    path: '/ai/aggregates/refresh',
    procedure: 'aggregates.refresh',
    summary: 'Recompute the invalidated aggregate buckets now',
    answer: answers.RefreshResult,
  },
  {
    method: 'GET',
    path: '/ai/features/sets',
    procedure: 'features.sets',
    summary: 'Predefined and user-defined feature sets',
    answer: answers.FeatureSetList,
  },
  {
    method: 'POST',
    path: '/ai/features/sets',
    procedure: 'features.defineSet',
    summary: 'Define a feature set (new features make version N+1)',
    answer: answers.DefinedSet,
    example: {
      body: {
        name: 'probe',
        features: ['lag_1h', 'rolling_24h_mean', 'hour_of_day'],
        description: 'a probe',
      },
    },
  },
  {
    method: 'POST',
    path: '/ai/features/get',
    procedure: 'features.get',
    summary: 'Online feature vectors of 1 to 1000 entities (current hour, or point-in-time for a past asOf)',
    answer: answers.OnlineVectors,
    example: { body: { featureSet: 'forecast_basic', metric: 'kwh', entityIds: ['meter-1', 'meter-2'] } },
  },
  {
    method: 'POST',
    path: '/ai/features/offline',
    procedure: 'features.offline',
    summary: 'Point-in-time vectors for a spine or a range (at most 10,000 rows; exports for more)',
    answer: answers.OfflineRows,
    example: {
      body: { featureSet: 'forecast_basic', metric: 'kwh', spine: spineExample, includeLabel: true },
    },
  },
  {
    method: 'GET',
    path: '/ai/features/history',
    procedure: 'features.history',
    summary: 'The vectors served for an entity, per materialized hour of [start, end)',
    answer: answers.ServedHistory,
    example: {
      query: {
        featureSet: 'forecast_basic',
        metric: 'kwh',
        entityId: 'meter-1',
        start: '2026-03-01T00:00:00Z',
        end: '2026-03-02T00:00:00Z',
      },
    },
  },
  {
    method: 'GET',
    path: '/ai/features/materializations',
    procedure: 'features.materializations',
    summary: 'Registrations kept online, with their last run',
    answer: answers.MaterializationList,
  },
  {
    method: 'POST',
    path: '/ai/features/materializations',
    procedure: 'features.materialize',
    summary: "Keep a set's vectors online for a metric (writes them now), or stop (enabled: false)",
    answer: answers.MaterializeResult,
    example: { body: { featureSet: 'forecast_basic', metric: 'kwh' } },
  },
  {
    method: 'POST',
    path: '/ai/features/export',
    procedure: 'features.export',
    summary: 'Start a Parquet training-set export (a durable job; answers its record, status queued)',
    answer: answers.FeatureExport,
    example: {
      body: {
        featureSet: 'forecast_basic',
        metric: 'kwh',
        range: { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' },
        includeLabel: true,
      },
    },
  },
  {
    method: 'GET',
    path: '/ai/features/exports',
    procedure: 'features.exports',
    summary: 'Exports, newest first (cursor pages)',
    answer: answers.ExportPage,
    example: { query: { status: 'succeeded', limit: '20' } },
  },
  {
    method: 'GET',
    path: '/ai/features/exports/{export_id}',
    procedure: 'features.exportGet',
    summary: 'One export; a succeeded one with statistics and a presigned download URL',
    params: { export_id: exportId },
    answer: answers.ExportDetail,
  },
  {
    method: 'POST',
    path: '/ai/features/exports/{export_id}/cancel',
    procedure: 'features.cancelExport',
    summary: 'Stop a queued or running export (409 once finished)',
    params: { export_id: exportId },
    answer: answers.FeatureExport,
  },
  {
    method: 'POST',
    path: '/ai/maintenance/retention',
    procedure: 'maintenance.retention',
    summary: 'Apply the retention policy now (root admins)',
    answer: answers.RetentionResult,
  },
  {
    method: 'POST',
    path: '/ai/models/register',
    procedure: 'models.register',
    summary: 'Register a model version (pending) and get the path to PUT its artifact to',
    answer: answers.Registered,
    example: {
      body: {
        name: 'load-forecast',
        format: 'onnx',
        metrics: { mape: 0.061, rmse: 10.2 },
        params: { trees: 200 },
        lineage: { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh' },
      },
    },
  },
  {
    method: 'GET',
    path: '/ai/models',
    procedure: 'models.list',
    summary: 'Model versions, filtered and sorted (cursor pages); also answers at /ai/models/',
    answer: answers.ModelPage,
    example: {
      query: { metrics: ['mape < 0.1'], sort: 'metric', sortMetric: 'mape', order: 'asc', limit: '10' },
    },
  },
  {
    method: 'GET',
    path: '/ai/models/',
    procedure: 'models.list',
    summary: 'Model versions (the same as /ai/models)',
    answer: answers.ModelPage,
    example: { query: { stage: 'production' } },
  },
  {
    method: 'GET',
    path: '/ai/models/{model_id}',
    procedure: 'models.get',
    summary: "One model version, with its lineage's training statistics",
    params: { model_id: modelId },
    answer: answers.ModelVersionDetail,
  },
  {
    method: 'PUT',
    path: '/ai/models/{model_id}/promote',
    procedure: 'models.promote',
    summary: 'Move a version to a stage (the previous production version goes to demoteTo)',
    params: { model_id: modelVersionId },
    answer: answers.Promoted,
    example: { body: { to: 'production', comment: 'beats v1' } },
  },
  {
    method: 'PUT',
    path: '/ai/models/{model_id}/alias',
    procedure: 'models.setAlias',
    summary: 'Point an alias (champion, challenger…) at a ready version',
    params: { model_id: modelVersionId },
    answer: answers.ModelVersion,
    example: { body: { alias: 'champion' } },
  },
  {
    method: 'DELETE',
    path: '/ai/models/{model_name}/aliases/{alias}',
    procedure: 'models.removeAlias',
    summary: 'Remove an alias of a model',
    params: {
      model_name: modelName('load-forecast'),
      alias: { field: 'alias', description: 'Alias name', example: 'champion' },
    },
    answer: answers.AliasRemoved,
  },
  {
    method: 'POST',
    path: '/ai/models/{model_id}/copy',
    procedure: 'models.copy',
    summary: 'Copy a ready version to another model name (artifact copied inside the store)',
    params: { model_id: modelId },
    answer: answers.ModelVersion,
    example: { body: { toName: 'load-forecast-eu' } },
  },
  {
    method: 'GET',
    path: '/ai/models/{model_id}/download',
    procedure: 'models.download',
    summary: 'A presigned GET URL of the artifact and the sha256 it must have',
    params: { model_id: modelId },
    answer: answers.Download,
    example: { query: { expiresInSeconds: '600' } },
  },
  {
    method: 'GET',
    path: '/ai/models/{model_id}/verify',
    procedure: 'models.verify',
    summary: 'Re-read the stored artifact and check its sha256 (412 on a mismatch)',
    params: { model_id: modelId },
    answer: answers.Verified,
  },
  {
    method: 'GET',
    path: '/ai/models/{model_name}/history',
    procedure: 'models.history',
    summary: 'Audit events of a model, or of one version',
    params: { model_name: modelName('load-forecast') },
    answer: answers.AuditEvents,
  },
  {
    method: 'POST',
    path: '/ai/models/{model_id}/predict',
    procedure: 'predictions.predict',
    summary: "Predictions of a servable ONNX version over the entities' online feature vectors",
    params: { model_id: { field: 'model', description: modelId.description, example: 'load-forecast@1' } },
    answer: answers.Predictions,
    example: { body: { entityIds: ['meter-1', 'meter-2'], includeFeatures: false } },
  },
  {
    method: 'GET',
    path: '/ai/models/{model_id}/explain',
    procedure: 'predictions.explain',
    summary:
      "Per-feature contributions to one entity's prediction (exact for an additive model, else sampled Shapley values)",
    params: { model_id: { field: 'model', description: modelId.description, example: 'load-forecast@2' } },
    answer: answers.Explanation,
    example: { query: { entityId: 'meter-1', asOf: '2026-03-01T12:00:00Z' } },
  },
  {
    method: 'POST',
    path: '/ai/models/{model_id}/batch',
    procedure: 'predictions.batch',
    summary:
      'Start a batch prediction over a spine or a range (a durable job writing Parquet; answers its record, status queued)',
    params: { model_id: { field: 'model', description: modelId.description, example: 'load-forecast@1' } },
    answer: answers.PredictionBatch,
    example: {
      body: {
        range: { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' },
        includeFeatures: false,
      },
    },
  },
  {
    method: 'GET',
    path: '/ai/predictions/batches',
    procedure: 'predictions.batches',
    summary: 'Prediction batches, newest first (cursor pages)',
    answer: answers.PredictionBatchPage,
    example: { query: { model: 'load-forecast', limit: '20' } },
  },
  {
    method: 'GET',
    path: '/ai/predictions/batches/{batch_id}',
    procedure: 'predictions.batchGet',
    summary: 'One prediction batch; a succeeded one with a presigned download URL',
    params: { batch_id: batchId },
    answer: answers.PredictionBatchDetail,
  },
  {
    method: 'POST',
    path: '/ai/predictions/batches/{batch_id}/cancel',
    procedure: 'predictions.cancelBatch',
    summary: 'Stop a queued or running prediction batch (409 once finished)',
    params: { batch_id: batchId },
    answer: answers.PredictionBatch,
  },
  {
    method: 'GET',
    path: '/ai/models/{model_id}/drift',
    procedure: 'features.drift',
    summary:
      "Drift of the version's served features over the last 24 hours against its training export (PSI per feature), with its earlier reports",
    params: { model_id: { field: 'model', description: modelId.description, example: 'load-forecast@2' } },
    answer: answers.Drift,
    example: { query: { historyLimit: '5' } },
  },
  {
    method: 'POST',
    path: '/ai/anomalies/detect',
    procedure: 'anomalies.detect',
    summary:
      "Per entity and hour: the hour's mean against a model's prediction (or the rolling 24 h mean), flagged beyond threshold × the rolling 24 h std",
    answer: answers.AnomalyDetection,
    example: {
      body: {
        metric: 'kwh',
        entityIds: ['meter-1', 'meter-2'],
        start: '2026-03-01T00:00:00Z',
        end: '2026-03-02T00:00:00Z',
        threshold: 3,
      },
    },
  },
  {
    method: 'GET',
    path: '/ai/anomalies',
    procedure: 'anomalies.list',
    summary: 'Hours flagged by the scheduled anomaly job, newest first (cursor pages)',
    answer: answers.AnomalyPage,
    example: { query: { model: 'load-forecast', limit: '20' } },
  },
  {
    method: 'DELETE',
    path: '/ai/models/{model_id}',
    procedure: 'models.delete',
    summary: 'Delete a version and its objects (production: admin key and force=true)',
    params: { model_id: { ...modelId, example: 'load-forecast-eu@1' } },
    answer: answers.Deleted,
    example: { query: { comment: 'superseded' } },
  },
];
