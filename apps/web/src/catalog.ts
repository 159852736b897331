/*
 * What each feature means, in the words of shared/docs/feature-spec.md (H is the hour a row is
 * computed for). Display text only: the API has no catalog procedure, and the server alone decides
 * whether a name is a feature (defineSet answers BAD_REQUEST naming the bad one). A name this does
 * not recognise is shown as such, never refused here.
 */
const FIXED: Record<string, string> = {
  last_hour_min: 'minimum reading of [H-1h, H)',
  last_hour_max: 'maximum reading of [H-1h, H)',
  last_hour_count: 'number of readings in [H-1h, H) (0 when empty)',
  delta_1h: 'lag_1h minus the mean of [H-2h, H-1h)',
  zscore_24h: '(lag_1h - rolling_24h_mean) / rolling_24h_std',
  hour_of_day: "hour of H in the entity's timezone, 0-23",
  day_of_week: "ISO day of H in the entity's timezone, 1 = Monday … 7 = Sunday",
  is_weekend: '1 on Saturday and Sunday, else 0',
  month: "month of H in the entity's timezone, 1-12",
};
const STATS: Record<string, string> = {
  mean: 'mean',
  std: 'sample standard deviation',
  min: 'minimum',
  max: 'maximum',
  count: 'number',
};

export function featureMeaning(name: string): string {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  const lag = /^lag_(\d+)h$/.exec(name);
  if (lag) {
    const n = Number(lag[1]);
    return `mean of the hour [H-${n}h, H-${n - 1}h)`.replace('H-0h', 'H');
  }
  const rolling = /^rolling_(\d+)h_([a-z]+)$/.exec(name);
  if (rolling && STATS[rolling[2] as string]) {
    return `${STATS[rolling[2] as string]} of the readings in [H-${rolling[1]}h, H)`;
  }
  const weatherLag = /^weather_(.+)_lag_(\d+)h$/.exec(name);
  if (weatherLag) {
    const n = Number(weatherLag[2]);
    return `weather ${weatherLag[1]} of the hour [H-${n}h, H-${n - 1}h) at the entity's location, as known at H`.replace(
      'H-0h',
      'H',
    );
  }
  const weather = /^weather_(.+)$/.exec(name);
  if (weather) return `forecast ${weather[1]} for [H, H+1h) at the entity's location, issued by H`;
  return 'not in the catalog';
}
