import { describe, expect, it } from 'vitest';
import { driftBins, featureDrift, populationStabilityIndex } from './drift.js';
import type { FeatureStatistics } from './feature-statistics.js';
import { parseModelVersionRef } from './model-ref.js';

const continuous: FeatureStatistics = {
  feature: 'lag_1h',
  count: 1000,
  nullFraction: 0.2,
  mean: 50,
  std: 10,
  min: 0,
  max: 100,
  quantiles: { p1: 10, p5: 20, p25: 40, p50: 50, p75: 60, p95: 80, p99: 90 },
  quantileRanks: null,
};

describe('population stability index', () => {
  it('bins at the training quantiles with the nominal weights of a continuous feature', () => {
    expect(driftBins(continuous)).toEqual({
      edges: [10, 20, 40, 50, 60, 80, 90],
      expected: [0.01, 0.04, 0.2, 0.25, 0.25, 0.2, 0.04, 0.01].map((e) => expect.closeTo(e, 12)),
    });
  });

  it('is 0 for served values spread exactly as in training, and the hand-computed sum otherwise', () => {
    // 100 values: 1, 4, 20, 25, 25, 20, 4, 1 per bin; a value on an edge belongs to the bin below.
    const same = [
      ...Array(1).fill(10),
      ...Array(4).fill(20),
      ...Array(20).fill(40),
      ...Array(25).fill(50),
      ...Array(25).fill(55),
      ...Array(20).fill(80),
      ...Array(4).fill(90),
      ...Array(1).fill(95),
    ];
    const bins = driftBins(continuous);
    expect(bins).not.toBeNull();
    expect(populationStabilityIndex(bins!, same)).toBeCloseTo(0, 12);
    // Everything in (50, 60]: that bin 1 vs 0.25, the others 1e-4 (floored) vs their weight.
    const shifted = Array(10).fill(58);
    const byHand =
      (1 - 0.25) * Math.log(1 / 0.25) +
      [0.01, 0.04, 0.2, 0.25, 0.2, 0.04, 0.01].reduce((sum, e) => sum + (1e-4 - e) * Math.log(1e-4 / e), 0);
    expect(populationStabilityIndex(bins!, shifted)).toBeCloseTo(byHand, 10);
    expect(populationStabilityIndex(bins!, [])).toBeNull();
  });

  it('gives a discrete feature its measured weights and merges equal quantiles', () => {
    // hour_of_day uniform over 0..23 (exact sketch): p1 = 0 holds 1/24 of the values, not 1 %.
    const hours: FeatureStatistics = {
      ...continuous,
      feature: 'hour_of_day',
      quantiles: { p1: 0, p5: 1, p25: 5, p50: 11, p75: 17, p95: 22, p99: 23 },
      quantileRanks: {
        p1: 1 / 24,
        p5: 2 / 24,
        p25: 6 / 24,
        p50: 12 / 24,
        p75: 18 / 24,
        p95: 23 / 24,
        p99: 1,
      },
    };
    const bins = driftBins(hours)!;
    expect(bins.edges).toEqual([0, 1, 5, 11, 17, 22, 23]);
    expect(bins.expected.map((e) => e * 24)).toEqual(
      [1, 1, 4, 6, 6, 5, 1, 0].map((e) => expect.closeTo(e, 9)),
    );
    const uniform = Array.from({ length: 48 }, (_, i) => i % 24);
    expect(populationStabilityIndex(bins, uniform)).toBeCloseTo(0, 12);
    // A flag: binary feature with equal quantiles collapses to two bins.
    const weekend: FeatureStatistics = {
      ...continuous,
      quantiles: { p1: 0, p5: 0, p25: 0, p50: 0, p75: 1, p95: 1, p99: 1 },
      quantileRanks: { p1: 0.7, p5: 0.7, p25: 0.7, p50: 0.7, p75: 1, p95: 1, p99: 1 },
    };
    expect(driftBins(weekend)).toEqual({ edges: [0, 1], expected: [0.7, expect.closeTo(0.3, 12), 0] });
  });

  it('reports the null-fraction change and flags above 0.2 or when every served value is missing', () => {
    const drift = featureDrift(continuous, [50, null, 55, null]);
    expect(drift).toMatchObject({
      feature: 'lag_1h',
      trainingNullFraction: 0.2,
      servedNullFraction: 0.5,
      servedCount: 2,
    });
    expect(drift.nullFractionChange).toBeCloseTo(0.3, 12);
    expect(drift.psi).toBeGreaterThan(0.2);
    expect(drift.flagged).toBe(true);
    expect(featureDrift(continuous, [null, null])).toMatchObject({
      psi: null,
      servedNullFraction: 1,
      flagged: true,
    });
    expect(featureDrift(continuous, [])).toMatchObject({
      psi: null,
      servedNullFraction: null,
      flagged: false,
    });
    const none: FeatureStatistics = { ...continuous, count: 0, nullFraction: 1 };
    expect(featureDrift(none, [null])).toMatchObject({ psi: null, nullFractionChange: 0, flagged: false });
  });
});

describe('model version references', () => {
  it('reads ids, versions, stages and aliases, and refuses what is none of them', () => {
    const id = '0b7c3f3e-2f6a-4d8e-9a51-1c2d3e4f5a6b';
    expect(parseModelVersionRef(id)).toEqual({ id });
    expect(parseModelVersionRef('load-forecast@3')).toEqual({ name: 'load-forecast', version: 3 });
    expect(parseModelVersionRef('load-forecast@v12')).toEqual({ name: 'load-forecast', version: 12 });
    expect(parseModelVersionRef('load-forecast@production')).toEqual({
      name: 'load-forecast',
      stage: 'production',
    });
    expect(parseModelVersionRef('load-forecast@champion')).toEqual({
      name: 'load-forecast',
      alias: 'champion',
    });
    for (const bad of ['load-forecast', '@production', 'load-forecast@', '']) {
      expect(parseModelVersionRef(bad)).toBeNull();
    }
  });
});
