import { z } from 'zod';

/*
 * Anomaly detection over hourly means: an hour h of an entity is scored by its actual mean (the
 * mean of bucket [h, h+1h), what `label_next_1h` is for a vector as of h) against what was expected
 * for it — the prediction of a model from the features as of h, or without a model the
 * `rolling_24h_mean` as of h — and flagged when |actual − expected| > threshold × `rolling_24h_std`
 * as of h: the sample standard deviation of the raw readings in [h − 24h, h), the 24 hours before
 * the scored hour (so a spike never widens its own yardstick), as feature-spec.md defines it.
 */

export const DEFAULT_ANOMALY_THRESHOLD = 3;
export const MAX_ANOMALY_THRESHOLD = 100;

export const AnomalyThresholdSchema = z
  .number()
  .refine(Number.isFinite, 'must be a finite number')
  .refine((t) => t > 0, 'must be greater than 0')
  .refine((t) => t <= MAX_ANOMALY_THRESHOLD, `must be at most ${MAX_ANOMALY_THRESHOLD}`);

/**
 * A model version opts in to the scheduled scoring with `metadata.anomalies`: `true` (threshold
 * DEFAULT_ANOMALY_THRESHOLD) or `{ threshold }`. The job scores each model's production version.
 */
export const AnomalyOptInSchema = z.union([
  z.literal(true),
  z.object({ threshold: AnomalyThresholdSchema.optional() }).strict(),
]);
export type AnomalyOptIn = z.infer<typeof AnomalyOptInSchema>;

/** The threshold an opted-in version is scored with; null when it has not opted in. */
export function optedInThreshold(metadata: Record<string, unknown>): number | null {
  const value = metadata.anomalies;
  if (value === undefined || value === false || value === null) return null;
  const parsed = AnomalyOptInSchema.safeParse(value);
  if (!parsed.success) return null;
  return parsed.data === true
    ? DEFAULT_ANOMALY_THRESHOLD
    : (parsed.data.threshold ?? DEFAULT_ANOMALY_THRESHOLD);
}

export interface HourScore {
  /** actual − expected; null when either is missing. */
  residual: number | null;
  /** residual / std; null when the residual or std is missing or std is 0. */
  score: number | null;
  /** |residual| > threshold × std; false when the residual or std is missing (nothing to judge by). */
  flagged: boolean;
}

/** The score of one hour (std 0: a flat last day, so any change is flagged). */
export function scoreHour(
  actual: number | null,
  expected: number | null,
  std: number | null,
  threshold: number,
): HourScore {
  if (actual === null || expected === null || !Number.isFinite(actual) || !Number.isFinite(expected))
    return { residual: null, score: null, flagged: false };
  const residual = actual - expected;
  if (std === null || !Number.isFinite(std)) return { residual, score: null, flagged: false };
  return {
    residual,
    score: std === 0 ? null : residual / std,
    flagged: Math.abs(residual) > threshold * std,
  };
}

/** A flagged hour the scheduled job recorded. */
export interface AnomalyFlag {
  id: string;
  modelVersionId: string;
  modelName: string;
  version: number;
  entityId: string;
  metric: string;
  hour: Date;
  actual: number;
  expected: number;
  residual: number;
  std: number;
  threshold: number;
  detectedAt: Date;
}

export type NewAnomalyFlag = Pick<
  AnomalyFlag,
  'entityId' | 'hour' | 'actual' | 'expected' | 'residual' | 'std' | 'threshold'
>;

export interface AnomalyListFilter {
  /** A model's name: its flags, whichever version raised them. */
  model?: string | undefined;
  entityId?: string | undefined;
  /** Hours in [from, to). */
  from?: Date | undefined;
  to?: Date | undefined;
  /** The id of the last flag of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

/** One scoring of an hour: the version, its metric, the hour and the entities scored. */
export interface ScoredHourScope {
  projectId: string;
  modelVersionId: string;
  metric: string;
  hour: Date;
  entityIds: readonly string[];
}

/** Flags of the scheduled job. Implemented in @aihub/db. */
export interface AnomalyRepository {
  /**
   * Replaces the flags of (version, hour) for the scored entities with `flags`, in one transaction;
   * a re-run of the same hour leaves one row per (version, entity, hour) (a unique constraint).
   */
  record(scope: ScoredHourScope, flags: readonly NewAnomalyFlag[]): Promise<void>;
  /** Newest hour first; `nextCursor` is null on the last page. */
  list(
    projectId: string,
    filter: AnomalyListFilter,
  ): Promise<{ items: AnomalyFlag[]; nextCursor: string | null }>;
  /** Production, ready versions whose metadata has `anomalies` (every project). */
  optedInVersions(): Promise<{ projectId: string; versionId: string }[]>;
}
