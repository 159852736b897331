import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { parseTimestamp, TimestampInputSchema } from './timestamps.js';

describe('TimestampInputSchema', () => {
  it('is typed Date | string in and Date out', () => {
    expectTypeOf<z.input<typeof TimestampInputSchema>>().toEqualTypeOf<Date | string>();
    expectTypeOf<z.output<typeof TimestampInputSchema>>().toEqualTypeOf<Date>();
  });

  it.each([
    ['2026-01-31T13:00:00Z', Date.UTC(2026, 0, 31, 13)],
    ['2026-01-31T14:00:00+01:00', Date.UTC(2026, 0, 31, 13)],
    ['2026-01-31T08:00:00.250-05:00', Date.UTC(2026, 0, 31, 13, 0, 0, 250)],
    ['2026-01-31 13:00:00Z', Date.UTC(2026, 0, 31, 13)],
    // The edges PostgreSQL stores, exactly.
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['9999-12-31T23:59:59.999Z', 253_402_300_799_999],
  ])('reads %s as an instant', (text, ms) => {
    expect(TimestampInputSchema.parse(text).getTime()).toBe(ms);
  });

  it('keeps a Date as it is, inside the range', () => {
    const at = new Date(Date.UTC(2026, 5, 1));
    expect(TimestampInputSchema.parse(at)).toEqual(at);
  });

  it.each([
    ['2026-01-31T13:00:00', 'time zone'],
    ['2026-01-31', 'time zone'],
    ['yesterday', 'time zone'],
    ['2026-02-30T00:00:00Z', 'time zone'],
    ['2026-01-31T24:00:00Z', 'time zone'],
    ['0000-01-01T00:00:00Z', 'outside the supported range'],
    ['0000-12-31T23:59:59.999Z', 'outside the supported range'],
    ['9999-12-31T23:59:59-14:00', 'outside the supported range'],
    ['+010000-01-01T00:00:00Z', 'time zone'],
  ])('refuses %s', (text, reason) => {
    const result = TimestampInputSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(reason);
  });

  it('refuses Dates outside PostgreSQL range and invalid Dates', () => {
    expect(TimestampInputSchema.safeParse(new Date(-62_135_596_800_001)).success).toBe(false);
    expect(TimestampInputSchema.safeParse(new Date(253_402_300_800_000)).success).toBe(false);
    expect(TimestampInputSchema.safeParse(new Date(Number.NaN)).success).toBe(false);
    expect(TimestampInputSchema.safeParse(1_767_225_600_000).success).toBe(false);
  });
});

describe('parseTimestamp', () => {
  it('says whether the format or the range is wrong', () => {
    expect(parseTimestamp('2026-01-31T13:00').ok).toBe(false);
    expect(parseTimestamp('2026-01-31T13:00Z')).toEqual({
      ok: true,
      date: new Date(Date.UTC(2026, 0, 31, 13)),
    });
    expect(parseTimestamp('0000-06-01T00:00:00Z')).toMatchObject({ ok: false, reason: 'range' });
    expect(parseTimestamp('2026-01-31T13:00:00')).toMatchObject({ ok: false, reason: 'format' });
  });
});
