import { z } from 'zod';
import { IDENTIFIER_PATTERN, WEATHER_FIELDS } from './features.js';
import { parseTimestamp, timestampRangeProblem } from './timestamps.js';

/*
 * What an ingest file may contain, row by row. Pure: the server streams and parses files, this
 * decides whether each record is valid and what it means.
 */

export const IngestKindSchema = z.enum(['entities', 'readings', 'weather']);
export type IngestKind = z.infer<typeof IngestKindSchema>;

/**
 * The longest line an ingest file may have, in characters (UTF-16 code units). A valid line of any
 * kind is far shorter; a longer one is reported as that line's problem without being held in memory.
 */
export const MAX_INGEST_LINE_LENGTH = 65_536;

export const IngestFormatSchema = z.enum(['csv', 'ndjson']);
export type IngestFormat = z.infer<typeof IngestFormatSchema>;

export interface ReadingRecord {
  entityId: string;
  metric: string;
  ts: Date;
  value: number;
}

export interface EntityRecord {
  entityId: string;
  locationId: string | null;
  timezone: string;
}

// The weather file's value columns are the weather fields of the feature catalog.
const WEATHER_VALUE_COLUMNS = WEATHER_FIELDS;

export interface WeatherRecord {
  locationId: string;
  ts: Date;
  issuedAt: Date;
  values: (number | null)[];
}

export type IngestRecord<K extends IngestKind> = K extends 'readings'
  ? ReadingRecord
  : K extends 'entities'
    ? EntityRecord
    : WeatherRecord;

interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

export const INGEST_COLUMNS: Record<IngestKind, ColumnSpec> = {
  readings: { required: ['entity_id', 'metric', 'ts', 'value'], optional: [] },
  entities: { required: ['entity_id'], optional: ['location_id', 'timezone'] },
  weather: { required: ['location_id', 'ts'], optional: ['issued_at', ...WEATHER_VALUE_COLUMNS] },
};

/** Checks a CSV header: every required column, nothing unknown, nothing twice. Returns the problem or null. */
export function checkHeader(kind: IngestKind, header: readonly string[]): string | null {
  const spec = INGEST_COLUMNS[kind];
  const known = new Set([...spec.required, ...spec.optional]);
  const missing = spec.required.filter((c) => !header.includes(c));
  const unknown = header.filter((c) => !known.has(c));
  const repeated = header.filter((c, i) => header.indexOf(c) !== i);
  if (missing.length === 0 && unknown.length === 0 && repeated.length === 0) return null;
  const parts = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    unknown.length > 0 ? `unknown ${unknown.join(', ')}` : '',
    repeated.length > 0 ? `repeated ${repeated.join(', ')}` : '',
  ].filter(Boolean);
  const expected = [...spec.required, ...spec.optional.map((c) => `[${c}]`)].join(', ');
  return `wrong header (${parts.join('; ')}): expected columns ${expected}`;
}

/** A row's fields: strings from CSV (empty string = absent), JSON values from NDJSON. */
export type RawRecord = Record<string, unknown>;

export type RowResult<T> = { ok: true; record: T } | { ok: false; reason: string };

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function text(raw: RawRecord, column: string, max: number): string | { error: string } {
  const value = raw[column];
  if (isAbsent(value)) return { error: `${column}: missing` };
  if (typeof value !== 'string') return { error: `${column}: must be a string` };
  if (value.length > max) return { error: `${column}: longer than ${max} characters` };
  if (!IDENTIFIER_PATTERN.test(value))
    return { error: `${column}: '${value}' has characters other than letters, digits and _.:@/-` };
  return value;
}

function timestamp(raw: RawRecord, column: string): Date | { error: string } {
  const value = raw[column];
  if (isAbsent(value)) return { error: `${column}: missing` };
  if (typeof value !== 'string') return { error: `${column}: must be an ISO 8601 string` };
  const parsed = parseTimestamp(value);
  if (parsed.ok) return parsed.date;
  return { error: `${column}: '${value.slice(0, 64)}' ${parsed.message}` };
}

/**
 * The magnitudes a value may have (or be 0): aggregates square values and their differences (m2,
 * std), and PostgreSQL raises an error when a square overflows (1e155 and up) or underflows
 * (below about 1e-154) a double; one such reading would fail every refresh of its project.
 */
export const MAX_ABS_VALUE = 1e100;
export const MIN_ABS_VALUE = 1e-100;

/** A finite double within ±MAX_ABS_VALUE. CSV gives strings; NDJSON must give a JSON number. */
function number(
  raw: RawRecord,
  column: string,
  required: boolean,
  format: IngestFormat,
): number | null | { error: string } {
  const value = raw[column];
  if (isAbsent(value)) return required ? { error: `${column}: missing` } : null;
  let parsed: number;
  if (typeof value === 'number') parsed = value;
  else if (
    typeof value === 'string' &&
    format === 'csv' &&
    /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())
  ) {
    parsed = Number(value);
  } else if (typeof value === 'string' && format === 'csv') {
    return { error: `${column}: '${value}' is not a number` };
  } else {
    return {
      error: `${column}: must be a number, got ${typeof value === 'string' ? `the string '${value}'` : typeof value}`,
    };
  }
  if (!Number.isFinite(parsed)) return { error: `${column}: must be finite (got ${value})` };
  const magnitude = Math.abs(parsed);
  if (magnitude > MAX_ABS_VALUE || (magnitude < MIN_ABS_VALUE && magnitude !== 0))
    return { error: `${column}: must be 0 or between 1e-100 and 1e100 in magnitude (got ${value})` };
  return parsed;
}

function isError(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function unknownColumns(kind: IngestKind, raw: RawRecord): string | null {
  const spec = INGEST_COLUMNS[kind];
  const extra = Object.keys(raw).filter((k) => !spec.required.includes(k) && !spec.optional.includes(k));
  return extra.length > 0 ? `unknown column ${extra.join(', ')}` : null;
}

const HOUR_MS = 3_600_000;

/**
 * A validator for one stream of records. Entity ids, metric names and timestamps repeat on most
 * lines of a real file, so each distinct value is checked once (small bounded caches); `columnsChecked`
 * skips the per-record column check when a CSV header was already checked.
 */
export function createRecordValidator<K extends IngestKind>(
  kind: K,
  format: IngestFormat,
  options: { columnsChecked?: boolean } = {},
): (raw: RawRecord) => RowResult<IngestRecord<K>> {
  const identifiers = new Map<string, Map<string, string | { error: string }>>();
  let lastTs: { raw: unknown; parsed: Date | { error: string } } | undefined;
  const cachedText = (raw: RawRecord, column: string, max: number) => {
    const value = raw[column];
    if (typeof value !== 'string') return text(raw, column, max);
    let known = identifiers.get(column);
    if (known === undefined) {
      known = new Map();
      identifiers.set(column, known);
    }
    let result = known.get(value);
    if (result === undefined) {
      if (known.size > 10_000) known.clear();
      result = text(raw, column, max);
      known.set(value, result);
    }
    return result;
  };
  const cachedTimestamp = (raw: RawRecord, column: string) => {
    if (lastTs && lastTs.raw === raw[column] && typeof lastTs.raw === 'string') return lastTs.parsed;
    const parsed = timestamp(raw, column);
    lastTs = { raw: raw[column], parsed };
    return parsed;
  };
  return (raw) => {
    const fail = (reason: string) => ({ ok: false as const, reason });
    if (!options.columnsChecked) {
      const extra = unknownColumns(kind, raw);
      if (extra) return fail(extra);
    }
    if (kind === 'readings') {
      const entityId = cachedText(raw, 'entity_id', 200);
      if (isError(entityId)) return fail(entityId.error);
      const metric = cachedText(raw, 'metric', 100);
      if (isError(metric)) return fail(metric.error);
      const ts = cachedTimestamp(raw, 'ts');
      if (isError(ts)) return fail(ts.error);
      const value = number(raw, 'value', true, format);
      if (isError(value)) return fail(value.error);
      // Records of the same timestamp share one Date: nothing downstream mutates it.
      const record: ReadingRecord = { entityId, metric, ts, value: value as number };
      return { ok: true, record: record as IngestRecord<K> };
    }
    return validateOther(kind, raw, format) as RowResult<IngestRecord<K>>;
  };
}

/** Validates one record on its own (inline API batches, tests). */
export function validateRecord<K extends IngestKind>(
  kind: K,
  raw: RawRecord,
  format: IngestFormat,
): RowResult<IngestRecord<K>> {
  return createRecordValidator(kind, format)(raw);
}

function validateOther(
  kind: IngestKind,
  raw: RawRecord,
  format: IngestFormat,
): RowResult<EntityRecord | WeatherRecord> {
  const fail = (reason: string) => ({ ok: false as const, reason });
  if (kind === 'entities') {
    const entityId = text(raw, 'entity_id', 200);
    if (isError(entityId)) return fail(entityId.error);
    let locationId: string | null = null;
    if (!isAbsent(raw.location_id)) {
      const loc = text(raw, 'location_id', 200);
      if (isError(loc)) return fail(loc.error);
      locationId = loc;
    }
    const zone = isAbsent(raw.timezone) ? 'UTC' : raw.timezone;
    if (typeof zone !== 'string' || !isValidTimeZone(zone))
      return fail(`timezone: '${String(zone)}' is not an IANA time zone`);
    return { ok: true, record: { entityId, locationId, timezone: zone } };
  }
  const locationId = text(raw, 'location_id', 200);
  if (isError(locationId)) return fail(locationId.error);
  const ts = timestamp(raw, 'ts');
  if (isError(ts)) return fail(ts.error);
  if (ts.getTime() % HOUR_MS !== 0) return fail(`ts: '${String(raw.ts)}' is not the start of an hour`);
  let issuedAt = new Date(ts.getTime() + HOUR_MS); // an observation becomes known when its hour ends
  if (!isAbsent(raw.issued_at)) {
    const parsed = timestamp(raw, 'issued_at');
    if (isError(parsed)) return fail(parsed.error);
    issuedAt = parsed;
  } else if (timestampRangeProblem(issuedAt)) {
    return fail(`ts: '${String(raw.ts)}' has no storable default issued_at (ts + 1h); give issued_at`);
  }
  const values: (number | null)[] = [];
  for (const column of WEATHER_VALUE_COLUMNS) {
    const v = number(raw, column, false, format);
    if (isError(v)) return fail(v.error);
    values.push(v);
  }
  return { ok: true, record: { locationId, ts, issuedAt, values } };
}
