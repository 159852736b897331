import type { FeatureRow } from '@aihub/core';

/*
 * An independent, deliberately naive reference implementation of shared/docs/feature-spec.md.
 *
 * Every feature is computed straight from its definition over in-memory raw data: filter the raw
 * readings by the feature's window, then plain loops. No aggregates, no SQL, no code from
 * packages/db/src, no feature parser from @aihub/core (the names are parsed here again, so a bug in
 * the catalog cannot hide a bug in the engine). Slow on purpose: clarity over speed.
 */

export interface RefReading {
  projectId: string;
  entityId: string;
  metric: string;
  ts: Date;
  value: number;
}

export interface RefEntity {
  projectId: string;
  entityId: string;
  locationId: string | null;
  /** IANA name; the spec's default is UTC. */
  timezone: string;
}

export interface RefWeather {
  projectId: string;
  locationId: string;
  ts: Date;
  issuedAt: Date;
  temperature_c: number | null;
  humidity_pct: number | null;
  wind_speed_ms: number | null;
  solar_radiation_wm2: number | null;
  precipitation_mm: number | null;
}

export type RefWeatherField =
  | 'temperature_c'
  | 'humidity_pct'
  | 'wind_speed_ms'
  | 'solar_radiation_wm2'
  | 'precipitation_mm';
const REF_WEATHER_FIELDS: readonly RefWeatherField[] = [
  'temperature_c',
  'humidity_pct',
  'wind_speed_ms',
  'solar_radiation_wm2',
  'precipitation_mm',
];

/** The raw state of the store, as the database holds it (one row per key: the caller de-duplicates). */
export interface RefData {
  readings: readonly RefReading[];
  entities: readonly RefEntity[];
  weather: readonly RefWeather[];
}

export interface RefQuery {
  projectId: string;
  entityId: string;
  metric: string;
  asOf: Date;
}

export interface RefRequest {
  projectId: string;
  metric: string;
  features: readonly string[];
  spine: readonly { entityId: string; asOf: Date }[];
  includeLabel?: boolean;
}

export const HOUR_MS = 3_600_000;

/** H = floor_hour(t) in UTC, in epoch milliseconds. */
export function floorHourMs(t: Date): number {
  return Math.floor(t.getTime() / HOUR_MS) * HOUR_MS;
}

// ---------------------------------------------------------------------------------------------
// Plain statistics over a list of numbers.

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  const first = sum / values.length;
  // Corrected two-pass: add the mean of the residuals, so values like 1e6 + noise stay exact to ~1 ulp.
  let residual = 0;
  for (const v of values) residual += v - first;
  return first + residual / values.length;
}

/** Sample standard deviation (n - 1), two passes: the mean first, then squared deviations from it. */
function sampleStd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values) as number;
  let squares = 0;
  for (const v of values) squares += (v - m) * (v - m);
  return Math.sqrt(squares / (values.length - 1));
}

function minimum(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let result = values[0] as number;
  for (const v of values) if (v < result) result = v;
  return result;
}

function maximum(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let result = values[0] as number;
  for (const v of values) if (v > result) result = v;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Windows over raw readings.

/** Values of the target series (project, entity, metric) with fromMs <= ts < toMs. */
export function valuesIn(data: RefData, q: RefQuery, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (const r of data.readings) {
    if (r.projectId !== q.projectId || r.entityId !== q.entityId || r.metric !== q.metric) continue;
    const ts = r.ts.getTime();
    if (ts >= fromMs && ts < toMs) out.push(r.value);
  }
  return out;
}

/** Mean of the hourly bucket that starts hoursBack hours before H: [H - n h, H - (n-1) h). */
function bucketMean(data: RefData, q: RefQuery, hoursBack: number): number | null {
  const h = floorHourMs(q.asOf);
  return mean(valuesIn(data, q, h - hoursBack * HOUR_MS, h - (hoursBack - 1) * HOUR_MS));
}

function rolling(data: RefData, q: RefQuery, hours: number, stat: string): number | null {
  const h = floorHourMs(q.asOf);
  const values = valuesIn(data, q, h - hours * HOUR_MS, h);
  switch (stat) {
    case 'mean':
      return mean(values);
    case 'std':
      return sampleStd(values);
    case 'min':
      return minimum(values);
    case 'max':
      return maximum(values);
    case 'count':
      return values.length; // 0, never null, when the window is empty
    default:
      throw new Error(`reference: unknown rolling statistic '${stat}'`);
  }
}

// ---------------------------------------------------------------------------------------------
// Calendar features: the hour H read in the entity's IANA timezone with Intl.

export interface LocalCalendar {
  hourOfDay: number;
  /** ISO: 1 = Monday ... 7 = Sunday. */
  dayOfWeek: number;
  isWeekend: number;
  month: number;
}

const ISO_WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function localCalendar(instant: Date, timeZone: string): LocalCalendar {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: 'numeric',
    weekday: 'short',
    month: 'numeric',
  }).formatToParts(instant);
  const part = (type: string): string => {
    const found = parts.find((p) => p.type === type);
    if (!found)
      throw new Error(`reference: Intl gave no ${type} for ${instant.toISOString()} in ${timeZone}`);
    return found.value;
  };
  const hourOfDay = Number(part('hour'));
  const dayOfWeek = ISO_WEEKDAY[part('weekday')];
  const month = Number(part('month'));
  if (dayOfWeek === undefined || !(hourOfDay >= 0 && hourOfDay <= 23) || !(month >= 1 && month <= 12)) {
    throw new Error(`reference: unexpected Intl output ${JSON.stringify(parts)}`);
  }
  return { hourOfDay, dayOfWeek, isWeekend: dayOfWeek >= 6 ? 1 : 0, month };
}

function entityOf(data: RefData, q: RefQuery): RefEntity {
  const entity = data.entities.find((e) => e.projectId === q.projectId && e.entityId === q.entityId);
  if (!entity)
    throw new Error(`reference: no entity '${q.entityId}' in project ${q.projectId} (fixture mistake)`);
  return entity;
}

// ---------------------------------------------------------------------------------------------
// Weather: the row of the entity's location with ts = H - n hours (n = 0 for weather_<field>) and
// the greatest issued_at <= H. Spec version 2: every source is cut at H, weather included.

function weather(data: RefData, q: RefQuery, field: RefWeatherField, hoursBack: number): number | null {
  const entity = entityOf(data, q);
  if (entity.locationId === null) return null;
  const h = floorHourMs(q.asOf);
  const target = h - hoursBack * HOUR_MS;
  let best: RefWeather | null = null;
  for (const w of data.weather) {
    if (w.projectId !== q.projectId || w.locationId !== entity.locationId) continue;
    if (w.ts.getTime() !== target) continue;
    if (w.issuedAt.getTime() > h) continue; // issued after H (even inside the hour): not used yet
    if (best === null || w.issuedAt.getTime() > best.issuedAt.getTime()) best = w;
  }
  // A null field of the chosen row stays null: no fallback to an older issue.
  return best === null ? null : best[field];
}

// ---------------------------------------------------------------------------------------------

/** One feature as of q.asOf, straight from the spec's table. */
export function referenceFeature(data: RefData, q: RefQuery, feature: string): number | null {
  const lag = /^lag_(\d+)h$/.exec(feature);
  if (lag) return bucketMean(data, q, Number(lag[1]));

  const roll = /^rolling_(\d+)h_(mean|std|min|max|count)$/.exec(feature);
  if (roll) return rolling(data, q, Number(roll[1]), roll[2] as string);

  const h = floorHourMs(q.asOf);
  switch (feature) {
    case 'last_hour_min':
      return minimum(valuesIn(data, q, h - HOUR_MS, h));
    case 'last_hour_max':
      return maximum(valuesIn(data, q, h - HOUR_MS, h));
    case 'last_hour_count':
      return valuesIn(data, q, h - HOUR_MS, h).length;
    case 'delta_1h': {
      const last = bucketMean(data, q, 1);
      const before = bucketMean(data, q, 2);
      return last === null || before === null ? null : last - before;
    }
    case 'zscore_24h': {
      const last = bucketMean(data, q, 1);
      const m = rolling(data, q, 24, 'mean');
      const s = rolling(data, q, 24, 'std');
      if (last === null || m === null || s === null || s === 0) return null;
      return (last - m) / s;
    }
    case 'hour_of_day':
      return localCalendar(new Date(h), entityOf(data, q).timezone).hourOfDay;
    case 'day_of_week':
      return localCalendar(new Date(h), entityOf(data, q).timezone).dayOfWeek;
    case 'is_weekend':
      return localCalendar(new Date(h), entityOf(data, q).timezone).isWeekend;
    case 'month':
      return localCalendar(new Date(h), entityOf(data, q).timezone).month;
  }
  if (feature.startsWith('weather_')) {
    const lagged = /^weather_([a-z0-9_]+)_lag_(\d+)h$/.exec(feature);
    if (lagged) {
      const hours = Number(lagged[2]);
      const field = lagged[1] as RefWeatherField;
      if (REF_WEATHER_FIELDS.includes(field) && hours >= 1 && hours <= 168)
        return weather(data, q, field, hours);
    }
    const field = feature.slice('weather_'.length) as RefWeatherField;
    if (REF_WEATHER_FIELDS.includes(field)) return weather(data, q, field, 0);
  }
  throw new Error(`reference: unknown feature '${feature}'`);
}

/** label_next_1h: mean of [H, H+1h) of the target metric. */
export function referenceLabel(data: RefData, q: RefQuery): number | null {
  const h = floorHourMs(q.asOf);
  return mean(valuesIn(data, q, h, h + HOUR_MS));
}

/** Throws when two readings share a key: the reference needs the store's de-duplicated state. */
export function assertUniqueReadingKeys(readings: readonly RefReading[]): void {
  const seen = new Set<string>();
  for (const r of readings) {
    const key = `${r.projectId}|${r.entityId}|${r.metric}|${r.ts.getTime()}`;
    if (seen.has(key)) throw new Error(`reference: duplicate reading key ${key} (fixture mistake)`);
    seen.add(key);
  }
}

/** The rows an offline request should return: spine order, values in the requested feature order. */
export function referenceRows(data: RefData, request: RefRequest): FeatureRow[] {
  assertUniqueReadingKeys(data.readings);
  return request.spine.map((s) => {
    const q: RefQuery = {
      projectId: request.projectId,
      entityId: s.entityId,
      metric: request.metric,
      asOf: s.asOf,
    };
    const row: FeatureRow = {
      entityId: s.entityId,
      asOf: new Date(s.asOf.getTime()),
      values: request.features.map((f) => referenceFeature(data, q, f)),
    };
    if (request.includeLabel) row.label = referenceLabel(data, q);
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison within the spec's tolerance.

/**
 * |a - b| <= tol * max(1, |a|, |b|): relative error for ordinary magnitudes, absolute error tol for
 * values near zero (a purely relative test is meaningless around 0, e.g. a delta of 1e-12).
 */
export function withinTolerance(expected: number, actual: number, tol: number, scale = 0): boolean {
  return Math.abs(expected - actual) <= tol * Math.max(1, Math.abs(expected), Math.abs(actual), scale);
}

/** The spec: 1e-9 relative, 1e-6 for standard deviations (and for what is divided by one). */
export function toleranceFor(feature: string): number {
  if (/_std$/.test(feature) || feature === 'zscore_24h') return 1e-6;
  return 1e-9;
}

export interface Mismatch {
  entityId: string;
  asOf: string;
  feature: string;
  expected: number | null | undefined;
  actual: number | null | undefined;
}

/**
 * Every difference between expected and actual rows. Nulls must match exactly. delta_1h is a
 * difference of two lags, each allowed 1e-9 relative error, so its error is judged against the
 * magnitude of its operands (lag_1h and the mean before it), supplied by `operandScale`.
 */
export function compareRows(
  features: readonly string[],
  expected: readonly FeatureRow[],
  actual: readonly FeatureRow[],
  options: { operandScale?: (row: FeatureRow, feature: string) => number } = {},
): Mismatch[] {
  const out: Mismatch[] = [];
  if (expected.length !== actual.length) {
    out.push({
      entityId: '*',
      asOf: '*',
      feature: 'row count',
      expected: expected.length,
      actual: actual.length,
    });
    return out;
  }
  expected.forEach((e, i) => {
    const a = actual[i] as FeatureRow;
    const asOf = e.asOf.toISOString();
    if (a.entityId !== e.entityId || a.asOf.getTime() !== e.asOf.getTime()) {
      out.push({
        entityId: e.entityId,
        asOf,
        feature: `row ${i} identity (actual ${a.entityId} @ ${a.asOf.toISOString()})`,
        expected: null,
        actual: null,
      });
      return;
    }
    const check = (feature: string, x: number | null | undefined, y: number | null | undefined) => {
      if (x === null || x === undefined || y === null || y === undefined) {
        if (x !== y) out.push({ entityId: e.entityId, asOf, feature, expected: x, actual: y });
        return;
      }
      const scale = options.operandScale ? options.operandScale(e, feature) : 0;
      if (!withinTolerance(x, y, toleranceFor(feature), scale))
        out.push({ entityId: e.entityId, asOf, feature, expected: x, actual: y });
    };
    if (a.values.length !== features.length) {
      out.push({
        entityId: e.entityId,
        asOf,
        feature: 'values.length',
        expected: features.length,
        actual: a.values.length,
      });
      return;
    }
    for (const [j, f] of features.entries()) check(f, e.values[j], a.values[j]);
    if ('label' in e) check('label_next_1h', e.label, a.label);
  });
  return out;
}

export function formatMismatches(mismatches: readonly Mismatch[], limit = 25): string {
  if (mismatches.length === 0) return 'no mismatches';
  const lines = mismatches
    .slice(0, limit)
    .map(
      (m) =>
        `  ${m.entityId} @ ${m.asOf} ${m.feature}: expected ${String(m.expected)}, actual ${String(m.actual)}`,
    );
  return `${mismatches.length} mismatch(es); first ${lines.length}:\n${lines.join('\n')}`;
}
