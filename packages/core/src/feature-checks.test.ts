import { describe, expect, it } from 'vitest';
import { emptyRowsWarning, readingsLookbackHours, unknownMetricError } from './feature-checks.js';
import { parseFeature } from './features.js';

describe('no silent nulls: checks and messages', () => {
  it('warns only above 90 % of rows without readings, with grouped counts', () => {
    expect(emptyRowsWarning(900, 1000)).toBeNull(); // exactly 90 %: not more
    expect(emptyRowsWarning(901, 1000)).toBe('901 of 1,000 rows have no readings: is the range right?');
    expect(emptyRowsWarning(1_180_000, 1_200_000)).toBe(
      '1,180,000 of 1,200,000 rows have no readings: is the range right?',
    );
    expect(emptyRowsWarning(0, 0)).toBeNull();
  });

  it("takes a set's widest window of readings; weather and calendar read none", () => {
    expect(readingsLookbackHours(['lag_1h', 'rolling_24h_mean', 'lag_168h'])).toBe(168);
    expect(readingsLookbackHours(['delta_1h', 'hour_of_day'])).toBe(2);
    expect(
      readingsLookbackHours(['hour_of_day', 'weather_temperature_c', 'weather_humidity_pct_lag_24h']),
    ).toBe(0);
  });

  it('names the unknown metric and lists at most 20 known ones', () => {
    const many = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const error = unknownMetricError('kwhh', many);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(
      /^metric: no readings of 'kwhh' were ever recorded in this project \(known metrics: 'm00', /,
    );
    expect(error.message).toMatch(/'m19' and 3 more\)$/);
    expect(error.fields?.metric?.[0]).toContain("'kwhh'");
  });

  it('parses the weather lag family', () => {
    expect(parseFeature('weather_solar_radiation_wm2_lag_168h')).toEqual({
      kind: 'weather_lag',
      field: 'solar_radiation_wm2',
      hours: 168,
    });
    expect(parseFeature('weather_precipitation_mm')).toEqual({ kind: 'weather', field: 'precipitation_mm' });
    expect(() => parseFeature('weather_temperature_c_lag_169h')).toThrow(/1 to 168 hours/);
  });
});
