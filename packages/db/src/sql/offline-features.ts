import type { FeatureSpec, WeatherField } from '@aihub/core';

/*
 * Builds the point-in-time retrieval query for a list of features. Output columns, in this order:
 * entity_id, as_of_ms (epoch milliseconds: a float8 parses several times faster in the client than a
 * timestamptz, which matters at millions of rows), f0…fN-1 (the features), then label if asked. Raw SQL because the query is a
 * spine joined LATERALly to the SQL feature functions (get_lag_features, get_rolling_features,
 * get_weather_features, get_weather_lag_features), which the ORM cannot express. Only integers parsed from feature names and
 * whitelisted column names are interpolated; every value is a bind parameter.
 *
 * Bind parameters: $1 project id, $2 metric, then the spine's own (see spineSql).
 */

export type SpineSql =
  /**
   * $3 text[] entity ids, $4 timestamptz[] as-of times; rows come back in this order. The spine is
   * probed sorted by (entity, as_of): neighbouring probes then read the same index and heap pages
   * (a random order reads most of them from the OS again, about a third of the time at 100k rows).
   */
  | { kind: 'explicit' }
  /**
   * $3 text[] entity ids, $4 timestamptz[] every whole hour. Not sorted (exports do not need an
   * order, and sorting millions of wide rows would spill to disk). The hours come as an array
   * rather than from generate_series because PostgreSQL 15 estimates a timestamp generate_series
   * at 1000 rows whatever its bounds, while it sizes an unnested array exactly: with 1000 entities
   * x 24 hours estimated as 1M rows it hash-joined the whole of hourly_features (6 s before the
   * first row, against 0.4 s by index lookups).
   */
  | { kind: 'range' };

function spineSql(spine: SpineSql): string {
  if (spine.kind === 'explicit') {
    return `SELECT s.ord, s.entity_id, s.as_of
              FROM unnest($3::text[], $4::timestamptz[]) WITH ORDINALITY AS s(entity_id, as_of, ord)
             ORDER BY s.entity_id, s.as_of`;
  }
  return `SELECT e.entity_id, g.as_of
            FROM unnest($3::text[]) AS e(entity_id)
           CROSS JOIN unnest($4::timestamptz[]) AS g(as_of)`;
}

const weatherColumns: Record<WeatherField, string> = {
  temperature_c: 'temperature_c',
  humidity_pct: 'humidity_pct',
  wind_speed_ms: 'wind_speed_ms',
  solar_radiation_wm2: 'solar_radiation_wm2',
  precipitation_mm: 'precipitation_mm',
};

const localHour = "(aihub_floor_hour(sp.as_of) AT TIME ZONE coalesce(e.timezone, 'UTC'))";

export function offlineFeaturesSql(
  specs: readonly FeatureSpec[],
  spine: SpineSql,
  includeLabel: boolean,
): string {
  const lags = new Set<number>();
  const windows = new Set<number>();
  let weather = false;
  // weather_<field>_lag_<n>h: one lateral lookup per distinct n, shared by the fields.
  const weatherLags = new Set<number>();
  const lag = (hours: number) => {
    lags.add(hours);
    return `l${hours}`;
  };
  const win = (hours: number) => {
    windows.add(hours);
    return `r${hours}`;
  };

  const columns = specs.map((spec, i) => {
    let expr: string;
    switch (spec.kind) {
      case 'lag':
        expr = `${lag(spec.hours)}.mean`;
        break;
      case 'last_hour':
        expr = spec.stat === 'count' ? `coalesce(${lag(1)}.count, 0)` : `${lag(1)}.${spec.stat}`;
        break;
      case 'delta_1h':
        expr = `${lag(1)}.mean - ${lag(2)}.mean`;
        break;
      case 'rolling':
        expr = `${win(spec.hours)}.${spec.stat}`;
        break;
      case 'zscore_24h':
        expr = `CASE WHEN ${win(24)}.std > 0 THEN (${lag(1)}.mean - ${win(24)}.mean) / ${win(24)}.std END`;
        break;
      case 'calendar':
        expr = {
          hour_of_day: `extract(hour FROM ${localHour})`,
          day_of_week: `extract(isodow FROM ${localHour})`,
          is_weekend: `CASE WHEN extract(isodow FROM ${localHour}) >= 6 THEN 1 ELSE 0 END`,
          month: `extract(month FROM ${localHour})`,
        }[spec.field];
        break;
      case 'weather':
        weather = true;
        expr = `wx.${weatherColumns[spec.field]}`;
        break;
      case 'weather_lag':
        weatherLags.add(spec.hours);
        expr = `wx${spec.hours}.${weatherColumns[spec.field]}`;
        break;
    }
    return `(${expr})::float8 AS f${i}`;
  });
  if (includeLabel) columns.push('lbl.mean::float8 AS label');

  const joins = [
    ...[...lags]
      .sort((a, b) => a - b)
      .map((h) => `LEFT JOIN LATERAL get_lag_features($1, $2, sp.entity_id, sp.as_of, ${h}) l${h} ON true`),
    ...[...windows]
      .sort((a, b) => a - b)
      .map(
        (h) => `LEFT JOIN LATERAL get_rolling_features($1, $2, sp.entity_id, sp.as_of, ${h}) r${h} ON true`,
      ),
    ...(weather ? ['LEFT JOIN LATERAL get_weather_features($1, e.location_id, sp.as_of) wx ON true'] : []),
    ...[...weatherLags]
      .sort((a, b) => a - b)
      .map(
        (h) => `LEFT JOIN LATERAL get_weather_lag_features($1, e.location_id, sp.as_of, ${h}) wx${h} ON true`,
      ),
    // The label is the mean of [H, H+1h): the 1-hour lag as of one hour later.
    ...(includeLabel
      ? [
          `LEFT JOIN LATERAL get_lag_features($1, $2, sp.entity_id, sp.as_of + interval '1 hour', 1) lbl ON true`,
        ]
      : []),
  ];

  // `params` declares the parameter types even when no feature reads the metric (calendar- or
  // weather-only sets); an unused parameter would otherwise make PostgreSQL refuse the query.
  return `WITH params AS (SELECT $1::uuid AS project_id, $2::text AS metric),
sp AS (${spineSql(spine)})
SELECT sp.entity_id, (extract(epoch FROM sp.as_of) * 1000)::float8 AS as_of_ms${columns.length > 0 ? `,\n       ${columns.join(',\n       ')}` : ''}
  FROM sp
  LEFT JOIN entities e ON e.project_id = $1 AND e.entity_id = sp.entity_id
  ${joins.join('\n  ')}${spine.kind === 'explicit' ? '\n ORDER BY sp.ord' : ''}`;
}
