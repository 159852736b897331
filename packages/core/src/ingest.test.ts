import { describe, expect, it } from 'vitest';
import { checkHeader, validateRecord } from './ingest.js';

describe('checkHeader', () => {
  it('accepts the columns in any order, with optional ones', () => {
    expect(checkHeader('readings', ['ts', 'value', 'metric', 'entity_id'])).toBeNull();
    expect(checkHeader('weather', ['location_id', 'ts', 'temperature_c'])).toBeNull();
  });

  it('names missing, unknown and repeated columns and lists the expected ones', () => {
    expect(checkHeader('readings', ['entity_id', 'metric', 'ts', 'vaule'])).toBe(
      'wrong header (missing value; unknown vaule): expected columns entity_id, metric, ts, value',
    );
    expect(checkHeader('entities', ['entity_id', 'entity_id'])).toContain('repeated entity_id');
  });
});

describe('validateRecord', () => {
  const reading = { entity_id: 'm-1', metric: 'kwh', ts: '2026-01-31T13:00:00.123Z', value: '1.5e2' };

  it('parses a CSV reading, keeping milliseconds', () => {
    expect(validateRecord('readings', reading, 'csv')).toEqual({
      ok: true,
      record: {
        entityId: 'm-1',
        metric: 'kwh',
        ts: new Date(Date.UTC(2026, 0, 31, 13, 0, 0, 123)),
        value: 150,
      },
    });
  });

  it('converts offsets to UTC', () => {
    const result = validateRecord('readings', { ...reading, ts: '2026-01-31T14:00:00+01:00' }, 'csv');
    expect(result.ok && result.record.ts.toISOString()).toBe('2026-01-31T13:00:00.000Z');
  });

  it.each([
    [
      { ...reading, ts: '2026-01-31 13:00' },
      "ts: '2026-01-31 13:00' is not an ISO 8601 timestamp with a time zone",
    ],
    [{ ...reading, ts: 'yesterday' }, "ts: 'yesterday' is not an ISO 8601"],
    [{ ...reading, ts: '2026-02-30T00:00:00Z' }, 'ts:'],
    [{ ...reading, value: 'abc' }, "value: 'abc' is not a number"],
    [{ ...reading, value: 'NaN' }, "value: 'NaN' is not a number"],
    [{ ...reading, value: 'Infinity' }, "value: 'Infinity' is not a number"],
    [{ ...reading, value: '' }, 'value: missing'],
    [{ entity_id: 'm-1', metric: 'kwh', ts: reading.ts }, 'value: missing'],
    [{ ...reading, metric: 'k w h' }, "metric: 'k w h' has characters"],
    [{ ...reading, colour: 'red' }, 'unknown column colour'],
  ])('rejects a bad CSV reading %#', (raw, reason) => {
    const result = validateRecord('readings', raw, 'csv');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('requires JSON numbers in NDJSON, and finite ones', () => {
    const json = { entity_id: 'm-1', metric: 'kwh', ts: '2026-01-31T13:00:00Z' };
    expect(validateRecord('readings', { ...json, value: 2 }, 'ndjson').ok).toBe(true);
    const asString = validateRecord('readings', { ...json, value: '2' }, 'ndjson');
    expect(!asString.ok && asString.reason).toBe("value: must be a number, got the string '2'");
    const wrongType = validateRecord('readings', { ...json, value: true }, 'ndjson');
    expect(!wrongType.ok && wrongType.reason).toBe('value: must be a number, got boolean');
    const tsNumber = validateRecord('readings', { ...json, ts: 1769864400000, value: 1 }, 'ndjson');
    expect(!tsNumber.ok && tsNumber.reason).toBe('ts: must be an ISO 8601 string');
  });

  it('defaults an entity to UTC and rejects unknown time zones', () => {
    expect(validateRecord('entities', { entity_id: 'm-1', location_id: '' }, 'csv')).toEqual({
      ok: true,
      record: { entityId: 'm-1', locationId: null, timezone: 'UTC' },
    });
    const bad = validateRecord('entities', { entity_id: 'm-1', timezone: 'Mars/Olympus' }, 'csv');
    expect(!bad.ok && bad.reason).toBe("timezone: 'Mars/Olympus' is not an IANA time zone");
  });

  it('defaults an observation to issued_at = ts + 1 hour and requires whole hours', () => {
    const ok = validateRecord(
      'weather',
      { location_id: 'berlin', ts: '2026-01-31T13:00:00Z', temperature_c: '-2.5' },
      'csv',
    );
    expect(ok).toEqual({
      ok: true,
      record: {
        locationId: 'berlin',
        ts: new Date('2026-01-31T13:00:00Z'),
        issuedAt: new Date('2026-01-31T14:00:00Z'),
        values: [-2.5, null, null, null, null],
      },
    });
    const half = validateRecord('weather', { location_id: 'berlin', ts: '2026-01-31T13:30:00Z' }, 'csv');
    expect(!half.ok && half.reason).toContain('is not the start of an hour');
  });

  it('refuses timestamps PostgreSQL cannot store, at the edges exactly', () => {
    const at = (ts: string) => validateRecord('readings', { ...reading, ts }, 'csv');
    expect(at('0001-01-01T00:00:00Z').ok).toBe(true);
    expect(at('9999-12-31T23:59:59.999Z').ok).toBe(true);
    for (const ts of ['0000-01-01T00:00:00Z', '0000-12-31T23:59:59.999Z', '9999-12-31T23:59:59-14:00']) {
      const result = at(ts);
      expect(!result.ok && result.reason).toBe(
        `ts: '${ts}' is outside the supported range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z`,
      );
    }
    // The last storable hour of weather has no storable default issue time (ts + 1h).
    const last = validateRecord('weather', { location_id: 'b', ts: '9999-12-31T23:00:00Z' }, 'csv');
    expect(!last.ok && last.reason).toContain('give issued_at');
    const given = { location_id: 'b', ts: '9999-12-31T23:00:00Z', issued_at: '9999-12-31T22:00:00Z' };
    expect(validateRecord('weather', given, 'csv').ok).toBe(true);
  });

  it('refuses values whose squares PostgreSQL cannot aggregate, at the edges exactly', () => {
    const value = (v: string) => validateRecord('readings', { ...reading, value: v }, 'csv');
    for (const ok of ['1e100', '-1e100', '1e-100', '-1e-100', '0', '-0']) expect(value(ok).ok, ok).toBe(true);
    for (const bad of ['1.0000001e100', '1e308', '-1e101', '9.99e-101', '5e-324']) {
      const result = value(bad);
      expect(!result.ok && result.reason, bad).toBe(
        `value: must be 0 or between 1e-100 and 1e100 in magnitude (got ${bad})`,
      );
    }
  });
});
