import { z } from 'zod';

/*
 * Data-quality statistics of an export: per feature, computed as the rows stream to the file.
 * count, mean, std (sample, n - 1), min and max are exact; the quantiles come from a t-digest
 * (a mergeable sketch), so they are approximate in rank: each lies within half a percentile point
 * of the true one in rank on the data seen so far (measured; see the export statistics test).
 */

/** The quantile probabilities reported, as [name, p]. */
export const STATISTIC_QUANTILES = [
  ['p1', 0.01],
  ['p5', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

export type QuantileName = (typeof STATISTIC_QUANTILES)[number][0];

const nullableNumber = z.number().nullable();

const QuantilesSchema = z.object({
  p1: nullableNumber,
  p5: nullableNumber,
  p25: nullableNumber,
  p50: nullableNumber,
  p75: nullableNumber,
  p95: nullableNumber,
  p99: nullableNumber,
});
export type Quantiles = z.infer<typeof QuantilesSchema>;

export const FeatureStatisticsSchema = z.object({
  feature: z.string(),
  /** Rows with a value (not null). */
  count: z.number().int().nonnegative(),
  /** Rows without a value / all rows; null for an export of no rows. */
  nullFraction: nullableNumber,
  mean: nullableNumber,
  /** Sample standard deviation; null with fewer than two values. */
  std: nullableNumber,
  min: nullableNumber,
  max: nullableNumber,
  quantiles: QuantilesSchema,
  /**
   * The fraction of values at or below each quantile, as the sketch measured it: exact while the
   * sketch is exact (few distinct values, where it differs from p: hour_of_day's p1 is 0, and
   * 1/24 of the values are at or below 0), about p otherwise. The training weights of drift bins.
   * Null for statistics recorded before it was (and when there are no values).
   */
  quantileRanks: QuantilesSchema.nullable(),
});
export type FeatureStatistics = z.infer<typeof FeatureStatisticsSchema>;

/** The statistics of one export: the sketch that made the quantiles and one entry per feature, in order. */
export const ExportStatisticsSchema = z.object({
  exportId: z.string(),
  rows: z.number().int().nonnegative(),
  sketch: z.string(),
  computedAt: z.date(),
  features: z.array(FeatureStatisticsSchema),
});
export type ExportStatistics = z.infer<typeof ExportStatisticsSchema>;
