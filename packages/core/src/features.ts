import { z } from 'zod';
import { DomainError } from './errors.js';

/*
 * The feature catalog of shared/docs/feature-spec.md: every feature name, what it means (parsed
 * into a FeatureSpec), the predefined sets, and validation of user-defined sets.
 */

export const MAX_WINDOW_HOURS = 8760;
/** `weather_<field>_lag_<n>h` reaches back at most a week (feature-spec.md). */
export const MAX_WEATHER_LAG_HOURS = 168;

export const ROLLING_STATS = ['mean', 'std', 'min', 'max', 'count'] as const;
export type RollingStat = (typeof ROLLING_STATS)[number];

export const CALENDAR_FEATURES = ['hour_of_day', 'day_of_week', 'is_weekend', 'month'] as const;
export type CalendarFeature = (typeof CALENDAR_FEATURES)[number];

export const WEATHER_FIELDS = [
  'temperature_c',
  'humidity_pct',
  'wind_speed_ms',
  'solar_radiation_wm2',
  'precipitation_mm',
] as const;
export type WeatherField = (typeof WEATHER_FIELDS)[number];

export type FeatureSpec =
  | { kind: 'lag'; hours: number }
  | { kind: 'rolling'; hours: number; stat: RollingStat }
  | { kind: 'last_hour'; stat: 'min' | 'max' | 'count' }
  | { kind: 'delta_1h' }
  | { kind: 'zscore_24h' }
  | { kind: 'calendar'; field: CalendarFeature }
  | { kind: 'weather'; field: WeatherField }
  /** The hour [H - n h, H - (n-1) h) as known at H (for n = 1: the last hour's observation). */
  | { kind: 'weather_lag'; field: WeatherField; hours: number };

/** Why a name is not a feature, or null when it is one. */
function explain(name: string): string | FeatureSpec {
  const lag = /^lag_(\d+)h$/.exec(name);
  if (lag) return windowed(Number(lag[1]), (hours) => ({ kind: 'lag', hours }));
  const rolling = /^rolling_(\d+)h_([a-z]+)$/.exec(name);
  if (rolling) {
    const stat = rolling[2] as RollingStat;
    if (!ROLLING_STATS.includes(stat))
      return `unknown rolling statistic '${rolling[2]}' (one of ${ROLLING_STATS.join(', ')})`;
    return windowed(Number(rolling[1]), (hours) => ({ kind: 'rolling', hours, stat }));
  }
  if (name === 'last_hour_min' || name === 'last_hour_max' || name === 'last_hour_count') {
    return { kind: 'last_hour', stat: name.slice('last_hour_'.length) as 'min' | 'max' | 'count' };
  }
  if (name === 'delta_1h') return { kind: 'delta_1h' };
  if (name === 'zscore_24h') return { kind: 'zscore_24h' };
  if ((CALENDAR_FEATURES as readonly string[]).includes(name))
    return { kind: 'calendar', field: name as CalendarFeature };
  if (name.startsWith('weather_')) {
    const lagged = /^(.*)_lag_(\d+)h$/.exec(name.slice('weather_'.length));
    const field = lagged ? (lagged[1] as string) : name.slice('weather_'.length);
    if (!(WEATHER_FIELDS as readonly string[]).includes(field))
      return `unknown weather field '${field}' (one of ${WEATHER_FIELDS.join(', ')})`;
    if (!lagged) return { kind: 'weather', field: field as WeatherField };
    const hours = Number(lagged[2]);
    if (!Number.isSafeInteger(hours) || hours < 1 || hours > MAX_WEATHER_LAG_HOURS)
      return `weather lag must be 1 to ${MAX_WEATHER_LAG_HOURS} hours`;
    return { kind: 'weather_lag', field: field as WeatherField, hours };
  }
  return 'unknown feature';
}

function windowed(hours: number, make: (hours: number) => FeatureSpec): string | FeatureSpec {
  if (!Number.isSafeInteger(hours) || hours < 1 || hours > MAX_WINDOW_HOURS) {
    return `window must be 1 to ${MAX_WINDOW_HOURS} hours`;
  }
  return make(hours);
}

export function parseFeature(name: string): FeatureSpec {
  const result = explain(name);
  if (typeof result === 'string') throw DomainError.badRequest(`'${name}': ${result}`, { [name]: [result] });
  return result;
}

export function isFeatureName(name: string): boolean {
  return typeof explain(name) !== 'string';
}

/** Hours of raw history a feature reads before H (for planning queries and retention checks). */
export function lookbackHours(spec: FeatureSpec): number {
  switch (spec.kind) {
    case 'lag':
    case 'rolling':
      return spec.hours;
    case 'last_hour':
      return 1;
    case 'delta_1h':
      return 2;
    case 'zscore_24h':
      return 24;
    default:
      return 0;
  }
}

const FORECAST_BASIC = ['lag_1h', 'lag_24h', 'lag_168h', 'hour_of_day', 'day_of_week', 'is_weekend'] as const;

/** The predefined sets (version 1), column order as in the spec. */
export const PREDEFINED_FEATURE_SETS: Readonly<Record<string, readonly string[]>> = {
  forecast_basic: FORECAST_BASIC,
  forecast_advanced: [
    ...FORECAST_BASIC,
    'month',
    'rolling_24h_mean',
    'rolling_24h_std',
    'rolling_24h_min',
    'rolling_24h_max',
    'rolling_168h_mean',
    'rolling_168h_std',
    'weather_temperature_c',
    'weather_humidity_pct',
    'weather_wind_speed_ms',
    'weather_solar_radiation_wm2',
    'weather_precipitation_mm',
  ],
  anomaly_detection: [
    'lag_1h',
    'last_hour_min',
    'last_hour_max',
    'last_hour_count',
    'delta_1h',
    'rolling_24h_mean',
    'rolling_24h_std',
    'zscore_24h',
    'rolling_168h_mean',
    'rolling_168h_std',
  ],
};

export function isPredefinedFeatureSet(name: string): boolean {
  return Object.hasOwn(PREDEFINED_FEATURE_SETS, name);
}

/** Versions of feature sets and models: PostgreSQL `integer`, so 1 to 2^31 - 1. */
export const MAX_VERSION = 2_147_483_647;
export const VersionNumberSchema = z
  .number()
  .int()
  .min(1, 'must be a positive integer')
  .max(MAX_VERSION, `must be at most ${MAX_VERSION}`);

export const FeatureSetNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{1,62}$/,
    'must be 2-63 characters: lowercase letters, digits and underscores, starting with a letter',
  );

export const FeatureNameSchema = z.string().superRefine((name, ctx) => {
  const result = explain(name);
  if (typeof result === 'string') ctx.addIssue({ code: 'custom', message: `'${name}': ${result}` });
});

/** A user-defined set's feature list: 1 to 200 known features, no duplicates. */
export const FeatureListSchema = z
  .array(FeatureNameSchema)
  .min(1, 'a feature set needs at least one feature')
  .max(200, 'a feature set has at most 200 features')
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name))
        ctx.addIssue({ code: 'custom', path: [index], message: `'${name}' is listed twice` });
      seen.add(name);
    });
  });

export const FeatureSetSchema = z.object({
  name: FeatureSetNameSchema,
  version: VersionNumberSchema,
  features: z.array(z.string()),
  predefined: z.boolean(),
  description: z.string().nullable(),
  createdAt: z.date().nullable(),
});
export type FeatureSet = z.infer<typeof FeatureSetSchema>;

/** A feature row as every path (offline, online, export) produces it: values in the set's column order. */
export interface FeatureRow {
  entityId: string;
  asOf: Date;
  values: (number | null)[];
  /** Present only when labels were asked for (training data). */
  label?: number | null;
}

const HOUR_MS = 3_600_000;

/** H = floor_hour(t) in UTC: only readings before H contribute to a vector as of t. */
export function floorHour(t: Date): Date {
  return new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS);
}

/** The first and last whole hour h with start <= h < end, or null when there is none. */
export function wholeHourBounds(start: Date, end: Date): [Date, Date] | null {
  const first = Math.ceil(start.getTime() / HOUR_MS) * HOUR_MS;
  const last = Math.ceil(end.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS;
  return first <= last ? [new Date(first), new Date(last)] : null;
}

/** How many whole hours lie in [start, end). */
export function wholeHourCount(start: Date, end: Date): number {
  const bounds = wholeHourBounds(start, end);
  return bounds ? (bounds[1].getTime() - bounds[0].getTime()) / HOUR_MS + 1 : 0;
}

/** Every whole hour in [start, end): the as-of times of a range request. */
export function wholeHoursIn(start: Date, end: Date): Date[] {
  const bounds = wholeHourBounds(start, end);
  if (!bounds) return [];
  const first = bounds[0].getTime();
  return Array.from({ length: wholeHourCount(start, end) }, (_, i) => new Date(first + i * HOUR_MS));
}

/** Rows a range request produces: every entity x every whole hour in [start, end). */
export function rangeRowCount(request: { entityIds: readonly string[]; start: Date; end: Date }): number {
  return request.entityIds.length * wholeHourCount(request.start, request.end);
}

/**
 * Resolves a set by name: the predefined sets are version 1 and cannot be redefined; other names
 * are looked up with `findUserDefined`. Throws NOT_FOUND naming what was asked for.
 */
export async function resolveFeatureSet(
  name: string,
  version: number | undefined,
  findUserDefined: (name: string, version?: number) => Promise<FeatureSet | null>,
): Promise<FeatureSet> {
  // Own keys only: `constructor` is a valid set name and would otherwise find Object's constructor.
  const predefined = isPredefinedFeatureSet(name) ? PREDEFINED_FEATURE_SETS[name] : undefined;
  if (predefined) {
    if (version !== undefined && version !== 1) {
      throw DomainError.notFound(
        `Feature set '${name}' version ${version} (predefined sets have version 1 only)`,
      );
    }
    return {
      name,
      version: 1,
      features: [...predefined],
      predefined: true,
      description: 'predefined',
      createdAt: null,
    };
  }
  const found = await findUserDefined(name, version);
  if (!found)
    throw DomainError.notFound(`Feature set '${name}'${version === undefined ? '' : ` version ${version}`}`);
  return found;
}

/** Entity ids, metric and location names: what may appear in URLs, object keys and COPY text unescaped. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$/;
const identifier = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(
      IDENTIFIER_PATTERN,
      'may contain only letters, digits and _.:@/- (starting with a letter or digit)',
    );

export const EntityIdSchema = identifier(200);
export const MetricNameSchema = identifier(100);
