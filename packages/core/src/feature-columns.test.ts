import { describe, expect, it } from 'vitest';
import { packFeatureRows, truncateFeatureColumns, unpackFeatureColumns } from './feature-columns.js';
import type { FeatureRow } from './features.js';

const rows: FeatureRow[] = [
  { entityId: 'm-1', asOf: new Date('2026-03-29T00:00:00Z'), values: [1.5, null, -0.25], label: 2 },
  { entityId: 'm-1', asOf: new Date('2026-03-29T01:00:00Z'), values: [null, null, null], label: null },
  { entityId: 'm-é/2', asOf: new Date('2026-03-29T02:00:00Z'), values: [0, 1e-300, 123456.789], label: 0 },
];

describe('feature columns', () => {
  it('packs rows column-wise (row-major values, 1 = absent) and unpacks them unchanged', () => {
    const packed = packFeatureRows(rows, 3, true);
    expect(packed.entityIds).toEqual(['m-1', 'm-1', 'm-é/2']);
    expect([...packed.asOf]).toEqual([
      Date.UTC(2026, 2, 29, 0),
      Date.UTC(2026, 2, 29, 1),
      Date.UTC(2026, 2, 29, 2),
    ]);
    expect([...packed.values]).toEqual([1.5, 0, -0.25, 0, 0, 0, 0, 1e-300, 123456.789]);
    expect([...packed.nulls]).toEqual([0, 1, 0, 1, 1, 1, 0, 0, 0]);
    expect([...(packed.labels ?? [])]).toEqual([2, 0, 0]);
    expect([...(packed.labelNulls ?? [])]).toEqual([0, 1, 0]);
    expect(unpackFeatureColumns(packed, 3)).toEqual(rows);
    const unlabelled = rows.map(({ label: _, ...row }) => row);
    const plain = packFeatureRows(unlabelled, 3, false);
    expect(plain.labels).toBeNull();
    expect(unpackFeatureColumns(plain, 3)).toEqual(unlabelled);
  });

  it('keeps the first rows of a batch', () => {
    const packed = packFeatureRows(rows, 3, true);
    expect(truncateFeatureColumns(packed, 3, 3)).toBe(packed);
    expect(unpackFeatureColumns(truncateFeatureColumns(packed, 2, 3), 3)).toEqual(rows.slice(0, 2));
    expect(unpackFeatureColumns(truncateFeatureColumns(packed, 0, 3), 3)).toEqual([]);
  });
});
