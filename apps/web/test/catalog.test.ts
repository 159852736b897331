import { describe, expect, it } from 'vitest';
import { featureMeaning } from '../src/catalog.js';

// Expected texts written from shared/docs/feature-spec.md's table, by hand.
describe('feature meanings shown beside feature names', () => {
  it('reads the families with their window lengths', () => {
    expect(featureMeaning('lag_1h')).toBe('mean of the hour [H-1h, H)');
    expect(featureMeaning('lag_24h')).toBe('mean of the hour [H-24h, H-23h)');
    expect(featureMeaning('rolling_168h_std')).toBe(
      'sample standard deviation of the readings in [H-168h, H)',
    );
    expect(featureMeaning('weather_temperature_c_lag_1h')).toBe(
      "weather temperature_c of the hour [H-1h, H) at the entity's location, as known at H",
    );
    expect(featureMeaning('is_weekend')).toBe('1 on Saturday and Sunday, else 0');
  });
  it('says when a name is not in the catalog instead of guessing', () => {
    expect(featureMeaning('rolling_24h_median')).toBe('not in the catalog');
    expect(featureMeaning('lagged')).toBe('not in the catalog');
  });
});
