import { z } from 'zod';
import { type FeatureStatistics, STATISTIC_QUANTILES } from './feature-statistics.js';

/*
 * Feature drift of a model in production: the vectors served over a window compared with the
 * statistics of the export the model was trained on. Per feature, the population stability index
 * over the non-null values, PSI = sum over bins of (served - expected) * ln(served / expected),
 * with bins cut at the training quantiles (p1 ... p99: up to eight bins), and the change of the
 * null fraction. A feature is flagged when its PSI is above 0.2 (the usual "significant shift"
 * threshold), or when it had values in training and none was served.
 */

export const PSI_FLAG_THRESHOLD = 0.2;
// An empty bin would make PSI infinite; like most implementations, proportions are floored.
const MIN_PROPORTION = 1e-4;

/** Bins of a feature: value v falls in the first bin whose upper edge is >= v (the last is open). */
export interface DriftBins {
  edges: number[];
  /** Training proportion of each bin (edges.length + 1 of them), summing to 1. */
  expected: number[];
}

/**
 * Bins from a feature's training quantiles. Where the sketch was exact (few distinct values) the
 * fraction of training values at or below each quantile (`quantileRanks`) is what it measured, so
 * a discrete feature's bins carry their true weights; equal quantiles (an atom) share one edge.
 */
export function driftBins(stat: FeatureStatistics): DriftBins | null {
  if (stat.count === 0) return null;
  const edges: number[] = [];
  const cumulative: number[] = [];
  for (const [name, p] of STATISTIC_QUANTILES) {
    const edge = stat.quantiles[name];
    if (edge === null) return null;
    const rank = stat.quantileRanks?.[name] ?? p;
    if (edges.length > 0 && edge <= (edges.at(-1) as number)) {
      cumulative[cumulative.length - 1] = Math.max(cumulative.at(-1) as number, rank);
      continue;
    }
    edges.push(edge);
    cumulative.push(rank);
  }
  const expected = [...cumulative.map((c, i) => c - (i === 0 ? 0 : (cumulative[i - 1] as number))), 0];
  expected[expected.length - 1] = 1 - (cumulative.at(-1) as number);
  return { edges, expected: expected.map((e) => Math.max(0, e)) };
}

function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** PSI of served values against the training bins; null when no value was served. */
export function populationStabilityIndex(bins: DriftBins, values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const counts = new Array<number>(bins.expected.length).fill(0);
  for (const v of values) counts[binOf(bins.edges, v)] = (counts[binOf(bins.edges, v)] as number) + 1;
  let psi = 0;
  bins.expected.forEach((e, i) => {
    const expected = Math.max(e, MIN_PROPORTION);
    const actual = Math.max((counts[i] as number) / values.length, MIN_PROPORTION);
    psi += (actual - expected) * Math.log(actual / expected);
  });
  return psi;
}

export const FeatureDriftSchema = z.object({
  feature: z.string(),
  psi: z.number().nullable(),
  trainingNullFraction: z.number().nullable(),
  servedNullFraction: z.number().nullable(),
  /** served - training; null when either side had no rows. */
  nullFractionChange: z.number().nullable(),
  /** Served vectors with a value of this feature. */
  servedCount: z.number().int(),
  flagged: z.boolean(),
});
export type FeatureDrift = z.infer<typeof FeatureDriftSchema>;

/** Drift of one feature: training statistics against the feature's served values (null = absent). */
export function featureDrift(stat: FeatureStatistics, served: readonly (number | null)[]): FeatureDrift {
  const values = served.filter((v): v is number => v !== null);
  const bins = driftBins(stat);
  const psi = bins ? populationStabilityIndex(bins, values) : null;
  const servedNullFraction = served.length > 0 ? (served.length - values.length) / served.length : null;
  const nullFractionChange =
    servedNullFraction !== null && stat.nullFraction !== null ? servedNullFraction - stat.nullFraction : null;
  const wentMissing = stat.count > 0 && served.length > 0 && values.length === 0;
  return {
    feature: stat.feature,
    psi,
    trainingNullFraction: stat.nullFraction,
    servedNullFraction,
    nullFractionChange,
    servedCount: values.length,
    flagged: (psi !== null && psi > PSI_FLAG_THRESHOLD) || wentMissing,
  };
}

export const DriftTriggerSchema = z.enum(['request', 'schedule']);
export type DriftTrigger = z.infer<typeof DriftTriggerSchema>;

/** One drift measurement of a model version against its training export. */
export interface DriftReport {
  id: string;
  modelVersionId: string;
  exportId: string;
  featureSet: string;
  featureSetVersion: number;
  metric: string;
  /** The served vectors compared: those whose hour `as_of` is in [windowStart, windowEnd). */
  windowStart: Date;
  windowEnd: Date;
  servedVectors: number;
  trigger: DriftTrigger;
  createdAt: Date;
  features: FeatureDrift[];
  /** The flagged features, in the set's order. */
  flagged: string[];
}

export type NewDriftReport = Omit<DriftReport, 'id' | 'createdAt' | 'flagged'> & { projectId: string };

/** Stored reports without their per-feature rows (the history of a model version). */
export type DriftReportSummary = Omit<DriftReport, 'features'>;

/** Drift reports and the served vectors they read. Implemented in @aihub/db. */
export interface DriftRepository {
  /** The vectors of `ai_features` for the set whose hour is in [from, to), each in the set's column order. */
  servedVectors(
    key: { projectId: string; featureSet: string; version: number; metric: string },
    from: Date,
    to: Date,
  ): Promise<(number | null)[][]>;
  record(report: NewDriftReport): Promise<DriftReport>;
  /** Newest first. */
  history(projectId: string, modelVersionId: string, limit: number): Promise<DriftReportSummary[]>;
  /** Every ready production version, in any project, whose lineage names an export. */
  productionVersionsWithExports(): Promise<{ projectId: string; versionId: string }[]>;
}
