import { describe, expect, it } from 'vitest';
import { floorHour, rangeRowCount, wholeHourBounds, wholeHourCount, wholeHoursIn } from './features.js';

const t = (iso: string) => new Date(iso);

describe('whole hours of a range [start, end)', () => {
  it('lists the whole hours inside, excluding end', () => {
    expect(wholeHoursIn(t('2026-03-01T09:30:00Z'), t('2026-03-01T12:00:00Z'))).toEqual([
      t('2026-03-01T10:00:00Z'),
      t('2026-03-01T11:00:00Z'),
    ]);
    expect(wholeHourBounds(t('2026-03-01T09:00:00Z'), t('2026-03-01T09:00:00.001Z'))).toEqual([
      t('2026-03-01T09:00:00Z'),
      t('2026-03-01T09:00:00Z'),
    ]);
  });

  it('has none when no whole hour lies inside', () => {
    expect(wholeHourCount(t('2026-03-01T09:00:00Z'), t('2026-03-01T09:00:00Z'))).toBe(0);
    expect(wholeHourCount(t('2026-03-01T09:00:00.001Z'), t('2026-03-01T09:59:59Z'))).toBe(0);
    expect(wholeHourBounds(t('2026-03-01T10:00:00Z'), t('2026-03-01T09:00:00Z'))).toBeNull();
  });

  it('counts entities x hours', () => {
    // 48 whole hours in two days, three entities.
    expect(
      rangeRowCount({
        entityIds: ['a', 'b', 'c'],
        start: t('2026-03-01T00:00:00Z'),
        end: t('2026-03-03T00:00:00Z'),
      }),
    ).toBe(144);
  });

  it('floors to the UTC hour', () => {
    expect(floorHour(t('2026-03-01T10:59:59.999+05:30'))).toEqual(t('2026-03-01T05:00:00Z'));
  });
});
