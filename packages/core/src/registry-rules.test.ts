import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import type { ModelStage } from './registry.js';
import { LineageSchema, MetricsSchema } from './registry.js';
import {
  AliasNameSchema,
  assertTransition,
  canTransition,
  decodeCursor,
  encodeCursor,
  parseMetricFilter,
} from './registry-rules.js';

describe('stage transitions', () => {
  it('allows exactly staging->production, staging->archived, production->archived, archived->staging', () => {
    const stages: ModelStage[] = ['staging', 'production', 'archived'];
    const allowed = ['staging>production', 'staging>archived', 'production>archived', 'archived>staging'];
    for (const from of stages) {
      for (const to of stages)
        expect(canTransition(from, to), `${from}>${to}`).toBe(allowed.includes(`${from}>${to}`));
    }
  });

  it('names what is allowed when refusing', () => {
    try {
      assertTransition('production', 'staging');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('PRECONDITION_FAILED');
      expect((error as DomainError).message).toBe(
        'Cannot move a version from production to staging (allowed from production: archived)',
      );
    }
  });
});

describe('metric filters', () => {
  it('parses comparisons with or without spaces', () => {
    expect(parseMetricFilter('mape < 0.1')).toEqual({ metric: 'mape', op: '<', value: 0.1 });
    expect(parseMetricFilter('r2>=0.9')).toEqual({ metric: 'r2', op: '>=', value: 0.9 });
    expect(parseMetricFilter(' rmse == 3 ')).toEqual({ metric: 'rmse', op: '=', value: 3 });
    expect(parseMetricFilter('val.loss != -1e-3')).toEqual({ metric: 'val.loss', op: '!=', value: -0.001 });
  });

  it('explains what is wrong with anything else', () => {
    expect(parseMetricFilter('mape <')).toMatch(/is not a comparison/);
    expect(parseMetricFilter('mape ~ 1')).toMatch(/is not a comparison/);
    expect(parseMetricFilter('mape < abc')).toBe("'abc' is not a finite number");
    expect(parseMetricFilter('mape < Infinity')).toBe("'Infinity' is not a finite number");
    expect(parseMetricFilter('1mape < 1')).toMatch(/is not a comparison/);
  });
});

describe('aliases, metrics and lineage', () => {
  it('refuses alias names that could be read as a stage, a version or latest', () => {
    for (const ok of ['champion', 'challenger', 'shadow-2', 'a'])
      expect(AliasNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['production', 'staging', 'archived', 'latest', 'v2', 'Champion', '2fast', '']) {
      expect(AliasNameSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('keeps metrics finite and lineage consistent', () => {
    expect(MetricsSchema.safeParse({ mape: 0.1 }).success).toBe(true);
    expect(MetricsSchema.safeParse({ mape: Number.POSITIVE_INFINITY }).success).toBe(false);
    const halfSet = LineageSchema.safeParse({ featureSetVersion: 2 });
    expect(halfSet.success ? [] : halfSet.error.issues.map((i) => i.path.join('.'))).toEqual(['featureSet']);
    const backwards = LineageSchema.safeParse({
      trainingFrom: '2026-02-01T00:00:00Z',
      trainingTo: '2026-01-01T00:00:00Z',
    });
    expect(backwards.success ? [] : backwards.error.issues.map((i) => i.path.join('.'))).toEqual([
      'trainingTo',
    ]);
    // A day without a time and zone is not a point in time: refused, naming the field.
    const zoneless = LineageSchema.safeParse({
      trainingFrom: '2026-01-01',
      trainingTo: '2026-02-01T00:00:00Z',
    });
    expect(zoneless.success ? [] : zoneless.error.issues.map((i) => i.path.join('.'))).toEqual([
      'trainingFrom',
    ]);
  });
});

describe('cursors', () => {
  it('round-trip and refuse another sort order or garbage', () => {
    const cursor = encodeCursor({ sort: 'createdAt:desc', key: ['2026-01-01T00:00:00.000Z', 'id-1'] });
    expect(decodeCursor(cursor, 'createdAt:desc').key).toEqual(['2026-01-01T00:00:00.000Z', 'id-1']);
    expect(() => decodeCursor(cursor, 'name:asc')).toThrow(/another sort order/);
    expect(() => decodeCursor('%%%', 'name:asc')).toThrow(/Invalid cursor/);
  });
});
