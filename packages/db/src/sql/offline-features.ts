import type { FeatureSpec, WeatherField } from '@aihub/core';

/*
 * Builds the point-in-time retrieval query for a list of features. Output columns, in this order:
 * entity_id, as_of_ms (epoch milliseconds: a float8 parses several times faster in the client than a
 * timestamptz, which matters at millions of rows), f0…fN-1 (the features), then label if asked. Raw SQL because the query is a
 * spine joined LATERALly to one subquery for every lag and rolling statistic (seriesFeaturesSql,
 * which the SQL views share) and to the weather functions (get_weather_features,
 * get_weather_lag_features), which the ORM cannot express. Only integers parsed from feature names and
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

/** Where the series' columns come from: bind parameters in the retrieval, view columns in the views. */
export interface SeriesRefs {
  project: string;
  metric: string;
  entity: string;
  asOf: string;
}

type LagStat = 'mean' | 'count' | 'min' | 'max';
type WindowStat = 'count' | 'mean' | 'std' | 'min' | 'max';

/** Windows up to this many hours are read hour by hour from the shared recent range. */
const SMALL_WINDOW_HOURS = 48;
/** Lags up to this many hours are read from the shared recent range (which grows to reach them). */
const RECENT_LAG_HOURS = 48;

/*
 * Every lag and rolling statistic of one spine row from one LATERAL subquery over a few index
 * ranges of the aggregates, instead of one get_lag_features/get_rolling_features probe per lag and
 * window (issue 14: each probe is an index descent on (project, entity, metric, bucket), and the
 * descents were most of the retrieval's CPU time). The ranges, UNION ALL'ed with a source number:
 *   0  the recent hours [H - A, H): every lag and window up to 48 h, and the hours after the last
 *      UTC midnight of every longer window (A >= 24 then, since H - floor_day(H) <= 23 h);
 *   then, per window longer than 48 h, the same head and whole days as get_rolling_features reads
 *   (hours before its first midnight from hourly_features, whole days from daily_features), and
 *   per lag longer than A, its one bucket.
 * Each statistic is an aggregate FILTERed to its own rows, which are exactly the rows the SQL
 * functions read, merged with the same formulas (counts and sums add; M2 with Chan's formula
 * against the window's grand mean, computed in the window function over the same rows). Only
 * the summation order differs from the functions, so values agree to rounding (the SQL views are
 * built by this function too, and equal to the retrieval bit for bit).
 */
export function seriesFeaturesSql(
  lags: ReadonlyMap<number, ReadonlySet<LagStat>>,
  windows: ReadonlyMap<number, ReadonlySet<WindowStat>>,
  refs: SeriesRefs,
): string {
  const windowHours = [...windows.keys()].sort((a, b) => a - b);
  const lagHours = [...lags.keys()].sort((a, b) => a - b);
  const big = windowHours.filter((w) => w > SMALL_WINDOW_HOURS);
  const recent = Math.max(
    big.length > 0 ? 24 : 0,
    ...windowHours.filter((w) => w <= SMALL_WINDOW_HOURS),
    ...lagHours.filter((n) => n <= RECENT_LAG_HOURS),
  );
  const key = `h.project_id = ${refs.project} AND h.entity_id = ${refs.entity} AND h.metric = ${refs.metric}`;
  const hourly = (src: number, where: string) =>
    `SELECT ${src} AS src, h.bucket, h.count, h.sum, h.mean, h.m2, h.min, h.max
               FROM hourly_features h
              WHERE ${key} AND ${where}`;
  const branches: string[] = [];
  const bounds: string[] = ['k0.hh'];
  if (big.length > 0) bounds.push('aihub_floor_day(k0.hh) AS dd');
  let next = 1;
  if (recent > 0)
    branches.push(hourly(0, `h.bucket >= k.hh - interval '${recent} hours' AND h.bucket < k.hh`));
  const windowRows = new Map<number, string>();
  const heads = new Map<number, number>();
  for (const w of windowHours) {
    if (w <= SMALL_WINDOW_HOURS) {
      windowRows.set(w, `(u.src = 0 AND u.bucket >= k.hh - interval '${w} hours')`);
      continue;
    }
    // ws = H - w; ds = the first UTC midnight after ws. Hours [ws, ds) (at least one: bucket ws,
    // which is lag_<w>h), whole days [ds, dd), then the recent hours from dd (w > 48, so ds < dd).
    bounds.push(`aihub_floor_day(k0.hh - interval '${w} hours') + interval '1 day' AS ds${w}`);
    const head = next++;
    const days = next++;
    heads.set(w, head);
    branches.push(hourly(head, `h.bucket >= k.hh - interval '${w} hours' AND h.bucket < k.ds${w}`));
    branches.push(
      `SELECT ${days} AS src, d.bucket, d.count, d.sum, d.mean, d.m2, d.min, d.max
               FROM daily_features d
              WHERE d.project_id = ${refs.project} AND d.entity_id = ${refs.entity} AND d.metric = ${refs.metric}
                AND d.bucket >= k.ds${w} AND d.bucket < k.dd`,
    );
    windowRows.set(w, `(u.src IN (${head}, ${days}) OR (u.src = 0 AND u.bucket >= k.dd))`);
  }
  // A lag beyond the recent hours: from the head of a window of the same length, else its own bucket.
  const lagSource = new Map<number, string>();
  for (const n of lagHours) {
    if (n <= recent) continue;
    const head = heads.get(n);
    if (head !== undefined) {
      lagSource.set(n, `p.src = ${head} AND p.bucket = p.hh - interval '${n} hours'`);
      continue;
    }
    lagSource.set(n, `p.src = ${next}`);
    branches.push(hourly(next++, `h.bucket = k.hh - interval '${n} hours'`));
  }
  const flags = windowHours.map((w) => `${windowRows.get(w)} AS in_r${w}`);
  const lagRow = (n: number) => lagSource.get(n) ?? `p.src = 0 AND p.bucket = p.hh - interval '${n} hours'`;
  const grand = windowHours
    .filter((w) => windows.get(w)?.has('std'))
    .map(
      (w) =>
        `sum(q.sum) FILTER (WHERE q.in_r${w}) OVER () / sum(q.count) FILTER (WHERE q.in_r${w}) OVER () AS g${w}`,
    );
  const outputs: string[] = [];
  for (const n of lagHours) {
    for (const stat of lags.get(n) ?? []) {
      outputs.push(`max(p.${stat}) FILTER (WHERE ${lagRow(n)}) AS l${n}_${stat}`);
    }
  }
  for (const w of windowHours) {
    const f = `FILTER (WHERE p.in_r${w})`;
    for (const stat of windows.get(w) ?? []) {
      const expr = {
        count: `coalesce(sum(p.count) ${f}, 0)::bigint`,
        mean: `sum(p.sum) ${f} / nullif(sum(p.count) ${f}, 0)`,
        std: `CASE WHEN sum(p.count) ${f} >= 2
              THEN sqrt(greatest(sum(p.m2 + p.count * (p.mean - p.g${w}) ^ 2) ${f}, 0) / (sum(p.count) ${f} - 1)) END`,
        min: `min(p.min) ${f}`,
        max: `max(p.max) ${f}`,
      }[stat];
      outputs.push(`${expr} AS r${w}_${stat}`);
    }
  }
  // OFFSET 0 keeps these subqueries from being flattened: the bounds are computed once per spine
  // row, not again in every filter of every aggregated row (date_bin calls were a tenth of the CPU).
  const k0 = `(SELECT aihub_floor_hour(${refs.asOf}) AS hh OFFSET 0) k0`;
  return `SELECT ${outputs.join(',\n         ')}
    FROM (
      SELECT q.*${grand.length > 0 ? `,\n             ${grand.join(',\n             ')}` : ''}
        FROM (
          SELECT k.hh, u.src, u.bucket, u.count, u.sum, u.mean, u.m2, u.min, u.max${flags.length > 0 ? `,\n                 ${flags.join(',\n                 ')}` : ''}
            FROM (SELECT ${bounds.join(', ')} FROM ${k0} OFFSET 0) k
           CROSS JOIN LATERAL (
             ${branches.join('\n             UNION ALL\n             ')}
           ) u
        ) q
    ) p`;
}

const localHour = "(aihub_floor_hour(sp.as_of) AT TIME ZONE coalesce(e.timezone, 'UTC'))";

export function offlineFeaturesSql(
  specs: readonly FeatureSpec[],
  spine: SpineSql,
  includeLabel: boolean,
): string {
  const lags = new Map<number, Set<LagStat>>();
  const windows = new Map<number, Set<WindowStat>>();
  let weather = false;
  // weather_<field>_lag_<n>h: one lateral lookup per distinct n, shared by the fields.
  const weatherLags = new Set<number>();
  const lag = (hours: number, stat: LagStat) => {
    lags.set(hours, (lags.get(hours) ?? new Set<LagStat>()).add(stat));
    return `sf.l${hours}_${stat}`;
  };
  const win = (hours: number, stat: WindowStat) => {
    windows.set(hours, (windows.get(hours) ?? new Set<WindowStat>()).add(stat));
    return `sf.r${hours}_${stat}`;
  };

  const columns = specs.map((spec, i) => {
    let expr: string;
    switch (spec.kind) {
      case 'lag':
        expr = lag(spec.hours, 'mean');
        break;
      case 'last_hour':
        expr = spec.stat === 'count' ? `coalesce(${lag(1, 'count')}, 0)` : lag(1, spec.stat);
        break;
      case 'delta_1h':
        expr = `${lag(1, 'mean')} - ${lag(2, 'mean')}`;
        break;
      case 'rolling':
        expr = win(spec.hours, spec.stat);
        break;
      case 'zscore_24h':
        expr = `CASE WHEN ${win(24, 'std')} > 0 THEN (${lag(1, 'mean')} - ${win(24, 'mean')}) / ${win(24, 'std')} END`;
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

  const series = { project: '$1', metric: '$2', entity: 'sp.entity_id', asOf: 'sp.as_of' };
  const joins = [
    ...(lags.size > 0 || windows.size > 0
      ? [`LEFT JOIN LATERAL (\n  ${seriesFeaturesSql(lags, windows, series)}\n  ) sf ON true`]
      : []),
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
