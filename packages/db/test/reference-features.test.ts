import { describe, expect, it } from 'vitest';
import {
  compareRows,
  localCalendar,
  type RefData,
  type RefReading,
  referenceFeature,
  referenceLabel,
  referenceRows,
  withinTolerance,
} from './support/reference-features.js';

/*
 * Sanity checks of the reference implementation itself against values computed by hand. No
 * database: if these fail, the reference is wrong, not the engine.
 */

const P = 'project-1';
const at = (iso: string) => new Date(iso);
const load = (iso: string, value: number, extra: Partial<RefReading> = {}): RefReading => ({
  projectId: P,
  entityId: 'm1',
  metric: 'load',
  ts: at(iso),
  value,
  ...extra,
});

const data: RefData = {
  entities: [
    { projectId: P, entityId: 'm1', locationId: 'loc-1', timezone: 'UTC' },
    { projectId: P, entityId: 'berlin', locationId: null, timezone: 'Europe/Berlin' },
  ],
  readings: [
    load('2026-01-08T09:59:59.999Z', 100), // just before the 168h window
    load('2026-01-08T11:00:00.000Z', 200),
    load('2026-01-14T09:59:59.999Z', 50), // just before the 24h window
    load('2026-01-14T10:20:00.000Z', 3),
    load('2026-01-15T06:05:00.000Z', 4),
    load('2026-01-15T06:55:00.500Z', 8),
    load('2026-01-15T08:30:00.001Z', 2),
    load('2026-01-15T09:00:00.000Z', 3),
    load('2026-01-15T09:17:43.219Z', 5),
    load('2026-01-15T09:59:59.999Z', 10),
    load('2026-01-15T10:00:00.000Z', 1000), // at H: never a feature, only the label
    load('2026-01-15T10:30:00.000Z', 2000),
    load('2026-01-15T09:30:00.000Z', 9999, { metric: 'temp' }),
    load('2026-01-15T09:30:00.000Z', -777, { projectId: 'project-2' }),
  ],
  weather: [
    {
      projectId: P,
      locationId: 'loc-1',
      ts: at('2026-01-15T10:00:00Z'),
      issuedAt: at('2026-01-14T10:00:00Z'),
      temperature_c: 1,
      humidity_pct: 10,
      wind_speed_ms: 1,
      solar_radiation_wm2: 100,
      precipitation_mm: 0.1,
    },
    {
      projectId: P,
      locationId: 'loc-1',
      ts: at('2026-01-15T10:00:00Z'),
      issuedAt: at('2026-01-15T10:20:00Z'),
      temperature_c: 4,
      humidity_pct: null,
      wind_speed_ms: 4,
      solar_radiation_wm2: 400,
      precipitation_mm: 0.4,
    },
    // The observation of hour 09:00, issued when the hour ended.
    {
      projectId: P,
      locationId: 'loc-1',
      ts: at('2026-01-15T09:00:00Z'),
      issuedAt: at('2026-01-15T10:00:00Z'),
      temperature_c: 9,
      humidity_pct: 90,
      wind_speed_ms: null,
      solar_radiation_wm2: 0,
      precipitation_mm: 0,
    },
  ],
};

const q = (asOf: string, entityId = 'm1') => ({ projectId: P, entityId, metric: 'load', asOf: at(asOf) });

describe('reference implementation (hand values, no database)', () => {
  it('computes lags, last-hour stats, rolling stats, delta and z-score from raw readings', () => {
    const t = q('2026-01-15T10:27:13.456Z');
    const f = (name: string) => referenceFeature(data, t, name);
    expect(f('lag_1h')).toBe(6); // [09,10): 3, 5, 10 -> 18 / 3
    expect(f('lag_2h')).toBe(2); // [08,09): 2
    expect(f('lag_3h')).toBeNull(); // [07,08): empty
    expect(f('lag_4h')).toBe(6); // [06,07): 4, 8
    expect(f('lag_24h')).toBe(3); // [01-14 10,11): 3
    expect(f('lag_25h')).toBe(50); // [01-14 09,10): 50
    expect(f('lag_168h')).toBeNull(); // [01-08 10,11): 09:59:59.999 and 11:00 are both outside
    expect([f('last_hour_min'), f('last_hour_max'), f('last_hour_count')]).toEqual([3, 10, 3]);
    expect(f('delta_1h')).toBe(4); // 6 - 2
    // 24h: 3, 4, 8, 2, 3, 5, 10 -> sum 35, mean 5; squared deviations 4+1+9+9+4+0+25 = 52
    expect(f('rolling_24h_count')).toBe(7);
    expect(f('rolling_24h_mean')).toBe(5);
    expect(withinTolerance(Math.sqrt(52 / 6), f('rolling_24h_std') as number, 1e-12)).toBe(true);
    expect([f('rolling_24h_min'), f('rolling_24h_max')]).toEqual([2, 10]);
    // 168h: 200, 50 and the seven above: sum 285, sum of squares 42727, m2 = 42727 - 285^2/9 = 33702
    expect(f('rolling_168h_count')).toBe(9);
    expect(withinTolerance(95 / 3, f('rolling_168h_mean') as number, 1e-12)).toBe(true);
    expect(withinTolerance(Math.sqrt(33702 / 8), f('rolling_168h_std') as number, 1e-12)).toBe(true);
    // z = (6 - 5) / sqrt(52/6)
    expect(withinTolerance(1 / Math.sqrt(52 / 6), f('zscore_24h') as number, 1e-12)).toBe(true);
    expect(f('rolling_5h_max')).toBe(10);
    expect(f('rolling_2h_std')).toBeCloseTo(Math.sqrt(38 / 3), 12); // 2, 3, 5, 10: mean 5, 9+4+0+25 = 38
    expect(referenceLabel(data, t)).toBe(1500); // [10,11): 1000, 2000
  });

  it('gives count 0 and nulls on an empty window', () => {
    const t = q('2026-03-01T00:00:00Z');
    const f = (name: string) => referenceFeature(data, t, name);
    expect(f('rolling_24h_count')).toBe(0);
    expect(f('last_hour_count')).toBe(0);
    for (const name of [
      'lag_1h',
      'rolling_24h_mean',
      'rolling_24h_std',
      'rolling_24h_min',
      'last_hour_max',
      'delta_1h',
      'zscore_24h',
    ]) {
      expect(f(name), name).toBeNull();
    }
  });

  it('reads calendar features of H in the local timezone across DST', () => {
    // Berlin, 2026-03-29: 01:00 UTC is 02:00 CET -> 03:00 CEST.
    expect(localCalendar(at('2026-03-29T00:00:00Z'), 'Europe/Berlin')).toEqual({
      hourOfDay: 1,
      dayOfWeek: 7,
      isWeekend: 1,
      month: 3,
    });
    expect(localCalendar(at('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toEqual({
      hourOfDay: 3,
      dayOfWeek: 7,
      isWeekend: 1,
      month: 3,
    });
    expect(localCalendar(at('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toEqual({
      hourOfDay: 0,
      dayOfWeek: 1,
      isWeekend: 0,
      month: 3,
    });
    // New York, 2026-03-08: 07:00 UTC is 02:00 EST -> 03:00 EDT.
    expect(localCalendar(at('2026-03-08T04:00:00Z'), 'America/New_York')).toEqual({
      hourOfDay: 23,
      dayOfWeek: 6,
      isWeekend: 1,
      month: 3,
    });
    expect(localCalendar(at('2026-03-08T07:00:00Z'), 'America/New_York')).toEqual({
      hourOfDay: 3,
      dayOfWeek: 7,
      isWeekend: 1,
      month: 3,
    });
    expect(localCalendar(at('2026-03-01T04:00:00Z'), 'America/New_York')).toEqual({
      hourOfDay: 23,
      dayOfWeek: 6,
      isWeekend: 1,
      month: 2,
    });
    // Calendar of H, not of t: t = 00:59:59.999 UTC is still H = 00:00 UTC = 01:00 CET.
    expect(referenceFeature(data, q('2026-03-29T00:59:59.999Z', 'berlin'), 'hour_of_day')).toBe(1);
    expect(referenceFeature(data, q('2026-03-29T01:00:00.000Z', 'berlin'), 'hour_of_day')).toBe(3);
  });

  it('picks weather of hour H with the greatest issued_at <= H (not t), nulls kept', () => {
    const f = (asOf: string, name: string, entity = 'm1') => referenceFeature(data, q(asOf, entity), name);
    expect(f('2026-01-15T10:19:59.999Z', 'weather_humidity_pct')).toBe(10);
    // The nowcast issued 10:20 is inside the hour: ignored for every t in [10:00, 11:00).
    expect(f('2026-01-15T10:20:00.000Z', 'weather_temperature_c')).toBe(1);
    expect(f('2026-01-15T10:59:59.999Z', 'weather_humidity_pct')).toBe(10);
    expect(f('2026-01-15T11:00:00.000Z', 'weather_temperature_c')).toBeNull(); // no row for 11:00
    expect(f('2026-01-15T10:30:00.000Z', 'weather_temperature_c', 'berlin')).toBeNull(); // no location
  });

  it('reads weather_<field>_lag_<n>h from the row of H - n h with the greatest issued_at <= H', () => {
    const f = (asOf: string, name: string) => referenceFeature(data, q(asOf), name);
    // As of 10:30 (H = 10:00): lag 1 is hour 09:00, whose observation was issued at 10:00 = H.
    expect(f('2026-01-15T10:30:00.000Z', 'weather_temperature_c_lag_1h')).toBe(9);
    expect(f('2026-01-15T10:30:00.000Z', 'weather_wind_speed_ms_lag_1h')).toBeNull(); // null field
    expect(f('2026-01-15T10:30:00.000Z', 'weather_solar_radiation_wm2_lag_1h')).toBe(0);
    expect(f('2026-01-15T10:30:00.000Z', 'weather_temperature_c_lag_2h')).toBeNull(); // no row for 08:00
    // As of 09:59:59.999 (H = 09:00) hour 09:00 is the current hour, its observation unknown yet.
    expect(f('2026-01-15T09:59:59.999Z', 'weather_temperature_c_lag_1h')).toBeNull();
    // As of 11:00 (H = 11:00): hour 10:00 as known at 11:00 is the 10:20 nowcast, null humidity kept.
    expect(f('2026-01-15T11:00:00.000Z', 'weather_temperature_c_lag_1h')).toBe(4);
    expect(f('2026-01-15T11:00:00.000Z', 'weather_humidity_pct_lag_1h')).toBeNull();
    expect(f('2026-01-15T12:15:00.000Z', 'weather_temperature_c_lag_2h')).toBe(4);
    expect(f('2026-01-15T12:15:00.000Z', 'weather_temperature_c_lag_3h')).toBe(9);
    expect(() => f('2026-01-15T12:15:00.000Z', 'weather_temperature_c_lag_169h')).toThrow(/unknown feature/);
  });

  it('builds rows in spine order and compares them with nulls exact and a relative tolerance', () => {
    const spine = [
      { entityId: 'm1', asOf: at('2026-01-15T10:59:59.999Z') },
      { entityId: 'berlin', asOf: at('2026-03-29T01:00:00Z') },
    ];
    const rows = referenceRows(data, {
      projectId: P,
      metric: 'load',
      features: ['lag_1h', 'hour_of_day'],
      spine,
      includeLabel: true,
    });
    expect(rows).toEqual([
      { entityId: 'm1', asOf: spine[0]?.asOf, values: [6, 10], label: 1500 },
      { entityId: 'berlin', asOf: spine[1]?.asOf, values: [null, 3], label: null },
    ]);
    const off = rows.map((r) => ({
      ...r,
      values: r.values.map((v) => (v === null ? null : v * (1 + 5e-10))),
    }));
    expect(compareRows(['lag_1h', 'hour_of_day'], rows, off)).toEqual([]);
    const bad = rows.map((r) => ({ ...r, values: r.values.map((v) => (v === null ? 0 : v * (1 + 5e-9))) }));
    expect(compareRows(['lag_1h', 'hour_of_day'], rows, bad).map((m) => m.feature)).toEqual([
      'lag_1h',
      'hour_of_day',
      'lag_1h',
      'hour_of_day',
    ]);
  });
});
