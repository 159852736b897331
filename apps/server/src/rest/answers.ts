import {
  ApiKeySchema,
  ArtifactFormatSchema,
  AuditActionSchema,
  DriftTriggerSchema,
  ExportParamsSchema,
  ExportStatisticsSchema,
  ExportStatusSchema,
  FeatureDriftSchema,
  FeatureSetSchema,
  ModelStageSchema,
  PredictionBatchParamsSchema,
  ProjectSchema,
  RegistrationStatusSchema,
  RoleSchema,
} from '@aihub/core';
import { z } from 'zod';

/*
 * What the REST routes answer, for the OpenAPI document: the procedures' results as JSON (a Date is
 * an ISO 8601 string with a zone; the document renders z.date() that way). The procedures have no
 * output validators (they would cost the tRPC hot path a walk over every answer), so these schemas
 * are held to the real answers by the route test, which validates every answer against the document.
 */

const date = z.date();
const nullableNumber = z.number().nullable();

export const Live = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });

export const Readiness = z.object({
  ready: z.boolean(),
  checks: z.record(
    z.string(),
    z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().nullable() }),
  ),
});

export const WhoAmI = z.object({
  keyId: z.string(),
  keyName: z.string(),
  role: RoleSchema,
  project: ProjectSchema,
});

export const ProjectList = z.array(ProjectSchema);
export const ApiKey = ApiKeySchema;
export const ApiKeyList = z.array(ApiKeySchema);
export const ApiKeyCreated = z.object({
  key: ApiKeySchema,
  token: z.string().meta({ description: 'Shown once' }),
});
export const ProjectCreated = z.object({
  project: ProjectSchema,
  adminKey: ApiKeySchema.extend({ token: z.string().meta({ description: 'Shown once' }) }),
});

export const IngestSummary = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  problems: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  committed: z.boolean(),
});

/** One record of each kind, as the JSON ingest takes them (the file columns' names). */
export const INGEST_EXAMPLES = {
  entities: [{ entity_id: 'meter-1', location_id: 'loc-1', timezone: 'Europe/Berlin' }],
  readings: [{ entity_id: 'meter-1', metric: 'kwh', ts: '2026-03-01T10:15:00Z', value: 1.25 }],
  weather: [{ location_id: 'loc-1', ts: '2026-03-01T10:00:00Z', temperature_c: 7.5, humidity_pct: 81 }],
};

export const EntityList = z.array(
  z.object({ entityId: z.string(), locationId: z.string().nullable(), timezone: z.string() }),
);
export const AggregatesStatus = z.object({ pendingBuckets: z.number().int() });
export const RefreshResult = z.object({ hourlyBuckets: z.number().int(), dailyBuckets: z.number().int() });
export const RetentionResult = z.object({
  readingsDeleted: z.number().int(),
  weatherDeleted: z.number().int(),
  featurePartitionsDropped: z.array(z.string()),
  predictionLogPartitionsDropped: z.array(z.string()),
  anomalyFlagsDeleted: z.number().int(),
  refresh: RefreshResult,
});

export const FeatureSetList = z.array(FeatureSetSchema);
export const DefinedSet = z.object({ featureSet: FeatureSetSchema, created: z.boolean() });

const setRef = z.object({ name: z.string(), version: z.number().int() });
const values = z
  .array(nullableNumber)
  .meta({ description: 'In the order of `columns`; null where a feature has no value' });

export const OnlineVectors = z
  .object({
    featureSet: setRef,
    metric: z.string(),
    columns: z.array(z.string()),
    vectors: z.array(
      z.object({
        entityId: z.string(),
        asOf: date,
        values,
        source: z.enum(['online', 'offline', 'none']),
        stale: z.boolean(),
        status: z.enum(['ok', 'unknown_entity']),
      }),
    ),
  })
  .meta({
    example: {
      featureSet: { name: 'forecast_basic', version: 1 },
      metric: 'kwh',
      columns: ['lag_1h', 'lag_24h', 'rolling_24h_mean'],
      vectors: [
        {
          entityId: 'meter-1',
          asOf: '2026-03-01T12:00:00.000Z',
          values: [1.25, 1.1, 1.18],
          source: 'online',
          stale: false,
          status: 'ok',
        },
      ],
    },
  });

export const OfflineRows = z.object({
  featureSet: setRef,
  metric: z.string(),
  columns: z.array(z.string()),
  rows: z.array(
    z.object({
      entityId: z.string(),
      asOf: date,
      values,
      label: nullableNumber.optional().meta({ description: 'label_next_1h, with includeLabel' }),
    }),
  ),
  warnings: z.array(z.string()),
});

export const ServedHistory = z.object({
  featureSet: setRef,
  metric: z.string(),
  entityId: z.string(),
  columns: z.array(z.string()),
  vectors: z.array(z.object({ asOf: date, values, materializedAt: date })),
});

const Materialization = z.object({
  projectId: z.string(),
  featureSet: z.string(),
  version: z.number().int(),
  metric: z.string(),
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: date,
  lastRunAt: date.nullable(),
  lastAsOf: date.nullable(),
  lastEntities: z.number().int().nullable(),
  lastError: z.string().nullable(),
});
export const MaterializationList = z.array(Materialization);
export const MaterializeResult = z.object({
  registration: Materialization,
  asOf: date.nullable(),
  entities: z.number().int(),
});

/** What every durable job's record answers (exports, prediction batches): progress, result, timings. */
const jobRecord = {
  id: z.string(),
  projectId: z.string(),
  status: ExportStatusSchema,
  rowsWritten: z.number().int(),
  totalRows: z.number().int().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  objectKey: z.string().nullable(),
  error: z.string().nullable(),
  warnings: z.array(z.string()),
  createdBy: z.string(),
  createdAt: date,
  startedAt: date.nullable(),
  finishedAt: date.nullable(),
  heartbeatAt: date.nullable(),
};
const downloadUrl = {
  downloadUrl: z
    .string()
    .nullable()
    .meta({ description: 'Presigned GET URL of the Parquet file (succeeded only)' }),
  expiresAt: date.nullable(),
};

export const FeatureExport = z.object({
  ...jobRecord,
  featureSet: z.string(),
  featureSetVersion: z.number().int(),
  metric: z.string(),
  params: ExportParamsSchema,
});
export const ExportPage = z.object({ items: z.array(FeatureExport), nextCursor: z.string().nullable() });
export const ExportDetail = FeatureExport.extend({
  statistics: ExportStatisticsSchema.nullable(),
  ...downloadUrl,
});

export const PredictionBatch = z.object({
  ...jobRecord,
  model: z
    .object({ id: z.string(), name: z.string(), version: z.number().int() })
    .meta({ description: 'The version the batch runs, resolved when it was created' }),
  params: PredictionBatchParamsSchema,
});
export const PredictionBatchPage = z.object({
  items: z.array(PredictionBatch),
  nextCursor: z.string().nullable(),
});
export const PredictionBatchDetail = PredictionBatch.extend(downloadUrl);

/** A version's lineage as answered (LineageSchema is the input side, with its date parsing). */
const Lineage = z.object({
  featureSet: z.string().nullable(),
  featureSetVersion: z.number().int().nullable(),
  targetMetric: z.string().nullable(),
  exportId: z.string().nullable(),
  trainingFrom: date.nullable(),
  trainingTo: date.nullable(),
});

export const ModelVersion = z.object({
  id: z.string(),
  projectId: z.string(),
  modelId: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  status: RegistrationStatusSchema,
  stage: ModelStageSchema,
  format: ArtifactFormatSchema,
  sizeBytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  declaredSizeBytes: z.number().int().nullable(),
  declaredSha256: z.string().nullable(),
  artifactKey: z.string().nullable(),
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  lineage: Lineage,
  aliases: z.array(z.string()),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: date,
  readyAt: date.nullable(),
});
export const ModelVersionDetail = ModelVersion.extend({
  lineage: Lineage.extend({ statistics: ExportStatisticsSchema.nullable() }),
});
export const ModelPage = z.object({ items: z.array(ModelVersion), nextCursor: z.string().nullable() });
export const Registered = z.object({
  version: ModelVersion,
  upload: z.object({
    method: z.literal('PUT'),
    path: z.string().meta({ description: 'PUT the artifact bytes here: /v1/models/uploads/{version_id}' }),
  }),
});
export const Promoted = z.object({
  version: ModelVersion,
  demoted: ModelVersion.nullable().meta({ description: 'The previous production version, now demoteTo' }),
});
export const Deleted = z.object({
  id: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  objectsRemoved: z.number().int().meta({ description: 'Objects freed in the store' }),
});
export const AliasRemoved = z.object({ removed: z.literal(true) });
export const Download = z.object({
  url: z.string().meta({ description: 'Presigned GET URL of the artifact, straight from the object store' }),
  expiresAt: date,
  sha256: z.string(),
  sizeBytes: z.number().int(),
  fileName: z.string(),
  version: ModelVersion,
});
export const Verified = z.object({ ok: z.literal(true), sha256: z.string(), sizeBytes: z.number().int() });
export const AuditEvents = z.array(
  z.object({
    id: z.string(),
    modelName: z.string(),
    versionId: z.string().nullable(),
    version: z.number().int().nullable(),
    action: AuditActionSchema,
    actor: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    comment: z.string().nullable(),
    at: date,
  }),
);

const ServingVersion = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  stage: ModelStageSchema,
});

export const Predictions = z.object({
  model: ServingVersion.extend({
    cached: z.boolean().meta({ description: 'This process had the version loaded when the request came' }),
  }),
  featureSet: setRef,
  metric: z.string(),
  predictions: z.array(
    z.object({
      entityId: z.string(),
      prediction: nullableNumber.meta({
        description: 'Null for an unknown entity, or when the model answered NaN/Infinity',
      }),
      asOf: date,
      source: z.enum(['online', 'offline', 'none']),
      stale: z.boolean(),
      status: z.enum(['ok', 'unknown_entity']),
      features: z.record(z.string(), nullableNumber).optional().meta({ description: 'With includeFeatures' }),
    }),
  ),
  latencyMs: z.number(),
});

export const Explanation = z.object({
  model: ServingVersion,
  entityId: z.string(),
  asOf: date,
  source: z.enum(['online', 'offline', 'none']),
  prediction: nullableNumber,
  baseline: z.object({ prediction: nullableNumber, source: z.enum(['metadata', 'training_export']) }),
  method: z.enum(['exact', 'sampled_shapley']),
  samples: z.number().int(),
  contributions: z.array(
    z
      .object({
        feature: z.string(),
        value: nullableNumber,
        baseline: nullableNumber,
        contribution: nullableNumber,
      })
      .meta({ description: 'null where a value is not a finite number (JSON has no NaN)' }),
  ),
});

const DriftSummary = z.object({
  id: z.string(),
  modelVersionId: z.string(),
  exportId: z.string(),
  featureSet: z.string(),
  featureSetVersion: z.number().int(),
  metric: z.string(),
  windowStart: date,
  windowEnd: date,
  servedVectors: z.number().int(),
  trigger: DriftTriggerSchema,
  createdAt: date,
  flagged: z.array(z.string()).meta({ description: 'The flagged features, in the set order' }),
});
export const Drift = DriftSummary.extend({
  model: z.string(),
  version: z.number().int(),
  stage: ModelStageSchema,
  features: z.array(FeatureDriftSchema),
  history: z.array(DriftSummary).meta({ description: "The version's earlier reports, newest first" }),
});

/** Every error: the same body as the streaming endpoints (`/v1/ingest`, `/v1/models/uploads`). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'tRPC error code: BAD_REQUEST, UNAUTHORIZED, NOT_FOUND…' }),
      message: z.string(),
      requestId: z.string(),
      fieldErrors: z
        .record(z.string(), z.array(z.string()))
        .nullable()
        .meta({ description: 'BAD_REQUEST: each invalid field and why; otherwise null' }),
    }),
  })
  .meta({
    id: 'Error',
    example: {
      error: {
        code: 'BAD_REQUEST',
        message: 'entityIds: must name at least one entity',
        requestId: '0f6c2a51-8d0e-4d51-9a35-1c8b3c2f7e10',
        fieldErrors: { entityIds: ['must name at least one entity'] },
      },
    },
  });

export const AnomalyDetection = z.object({
  model: ServingVersion.nullable().meta({ description: 'Null: each hour against its rolling 24 h mean' }),
  metric: z.string(),
  expectation: z.enum(['model', 'rolling_24h_mean']),
  threshold: z.number(),
  hoursScored: z.number().int().meta({ description: 'Whole hours of [start, end) that have ended' }),
  flagged: z.number().int(),
  rows: z.array(
    z
      .object({
        entityId: z.string(),
        hour: date.meta({ description: 'The scored hour [hour, hour+1h)' }),
        actual: nullableNumber.meta({ description: "The hour's mean; null without readings" }),
        expected: nullableNumber.meta({
          description: 'The prediction from the features as of the hour, or the rolling 24 h mean as of it',
        }),
        residual: nullableNumber.meta({ description: 'actual − expected' }),
        std: nullableNumber.meta({
          description:
            'Sample std of the raw readings in [hour − 24h, hour) (rolling_24h_std as of the hour)',
        }),
        score: nullableNumber.meta({ description: 'residual / std' }),
        flagged: z.boolean().meta({ description: '|residual| > threshold × std' }),
      })
      .meta({ description: 'One entity-hour' }),
  ),
});

const AnomalyFlag = z.object({
  id: z.string(),
  modelVersionId: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  entityId: z.string(),
  metric: z.string(),
  hour: date,
  actual: z.number(),
  expected: z.number(),
  residual: z.number(),
  std: z.number(),
  threshold: z.number(),
  detectedAt: date,
});
export const AnomalyPage = z.object({ items: z.array(AnomalyFlag), nextCursor: z.string().nullable() });
