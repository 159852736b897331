import { z } from 'zod';
import { VersionNumberSchema } from './features.js';
import { TimestampInputSchema } from './timestamps.js';

/*
 * The model registry's vocabulary: names, stages, registration status, lineage and the shapes a
 * version takes. Rules (which stage may follow which, alias names, metric filters) live in
 * registry-rules.ts.
 */

/** Used in object keys and CLI arguments, so no slashes or spaces. */
export const ModelNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'must be 1-128 characters: letters, digits, dots, dashes and underscores, starting with a letter or digit',
  );

export const ModelStageSchema = z.enum(['staging', 'production', 'archived']);
export type ModelStage = z.infer<typeof ModelStageSchema>;

/** `deleting` is internal: a delete that began; a retry finishes it. Such versions are never listed. */
export const RegistrationStatusSchema = z.enum(['pending', 'ready', 'failed', 'deleting']);
export type RegistrationStatus = z.infer<typeof RegistrationStatusSchema>;

export const ArtifactFormatSchema = z.enum(['onnx', 'joblib', 'pickle', 'json', 'safetensors', 'other']);
export type ArtifactFormat = z.infer<typeof ArtifactFormatSchema>;

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

const KeyNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.:/-]{0,99}$/, 'must be 1-100 characters: letters, digits, _ . : / -');

/** Metric name -> finite number (mape, rmse, ...). */
export const MetricsSchema = z
  .record(KeyNameSchema, z.number().refine(Number.isFinite, 'must be a finite number'))
  .refine((m) => Object.keys(m).length <= 200, 'at most 200 metrics');
export type Metrics = z.infer<typeof MetricsSchema>;

export const ParamsSchema = z
  .record(KeyNameSchema, z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .refine((p) => Object.keys(p).length <= 500, 'at most 500 parameters');
export type Params = z.infer<typeof ParamsSchema>;

/** Free JSON, bounded so one version cannot bloat every list response. */
export const MetadataSchema = z
  .record(z.string(), z.json())
  .refine((m) => JSON.stringify(m).length <= 65_536, 'must serialize to at most 64 KiB of JSON');
export type Metadata = z.infer<typeof MetadataSchema>;

export const TagsSchema = z
  .record(KeyNameSchema, z.string().max(500))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');
export type Tags = z.infer<typeof TagsSchema>;

export const LineageSchema = z
  .object({
    featureSet: z.string().min(1).max(63).nullable().default(null),
    featureSetVersion: VersionNumberSchema.nullable().default(null),
    targetMetric: z.string().min(1).max(200).nullable().default(null),
    exportId: z.uuid('must be an export id (uuid)').nullable().default(null),
    trainingFrom: TimestampInputSchema.nullable().default(null),
    trainingTo: TimestampInputSchema.nullable().default(null),
  })
  .superRefine((l, ctx) => {
    if ((l.featureSet === null) !== (l.featureSetVersion === null)) {
      const path = l.featureSet === null ? 'featureSet' : 'featureSetVersion';
      ctx.addIssue({ code: 'custom', path: [path], message: 'feature set name and version go together' });
    }
    if ((l.trainingFrom === null) !== (l.trainingTo === null)) {
      const path = l.trainingFrom === null ? 'trainingFrom' : 'trainingTo';
      ctx.addIssue({ code: 'custom', path: [path], message: 'a training window needs both ends' });
    }
    if (l.trainingFrom && l.trainingTo && l.trainingFrom >= l.trainingTo) {
      ctx.addIssue({ code: 'custom', path: ['trainingTo'], message: 'must be after trainingFrom' });
    }
  });
export type Lineage = z.infer<typeof LineageSchema>;
export const EMPTY_LINEAGE: Lineage = {
  featureSet: null,
  featureSetVersion: null,
  targetMetric: null,
  exportId: null,
  trainingFrom: null,
  trainingTo: null,
};

export interface RegisteredModel {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  tags: Tags;
  latestVersion: number;
  createdAt: Date;
}

export interface ModelVersion {
  id: string;
  projectId: string;
  modelId: string;
  modelName: string;
  version: number;
  status: RegistrationStatus;
  stage: ModelStage;
  format: ArtifactFormat;
  /** Set once the artifact is stored and verified (status `ready`). */
  sizeBytes: number | null;
  sha256: string | null;
  /** What the client said it would upload, checked against what arrived. */
  declaredSizeBytes: number | null;
  declaredSha256: string | null;
  artifactKey: string | null;
  metrics: Metrics;
  params: Params;
  metadata: Metadata;
  lineage: Lineage;
  aliases: string[];
  error: string | null;
  createdBy: string;
  createdAt: Date;
  readyAt: Date | null;
}

export const AuditActionSchema = z.enum([
  'registered',
  'ready',
  'failed',
  'stage_changed',
  'alias_set',
  'alias_removed',
  'deleted',
]);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export interface ModelAuditEvent {
  id: string;
  modelName: string;
  versionId: string | null;
  version: number | null;
  action: AuditAction;
  /** The API key's name. */
  actor: string;
  from: string | null;
  to: string | null;
  comment: string | null;
  at: Date;
}
