import { z } from 'zod';

/*
 * Timestamps as every boundary accepts them (tRPC inputs, ingest files, spines, CLI flags): a Date,
 * or an ISO 8601 string WITH a zone (`Z` or an offset). A zone-less string would be read in
 * whichever zone the reader happens to run in, so it is refused, never guessed. Both are bounded
 * to years 0001-9999 (UTC): PostgreSQL's timestamptz has no year 0 and the driver writes years
 * past 9999 in a form PostgreSQL does not read, so anything outside would fail in the database
 * instead of naming the field.
 */

export const EARLIEST_TIMESTAMP = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_TIMESTAMP = new Date('9999-12-31T23:59:59.999Z');

const RANGE_TEXT = '0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z';
export const TIMESTAMP_FORMAT_HINT = 'an ISO 8601 timestamp with a time zone (e.g. 2026-01-31T13:00:00Z)';

// Date and time, then `Z` or an offset; `T` or a space between them (RFC 3339 allows both).
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** Date would roll 2026-02-30 over to March 2; a real calendar date and clock time are required. */
function isRealDateTime(match: RegExpExecArray): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59
  );
}

/** Why a Date cannot be stored, or null when it can. */
export function timestampRangeProblem(date: Date): string | null {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return 'is not a valid date';
  if (ms < EARLIEST_TIMESTAMP.getTime() || ms > LATEST_TIMESTAMP.getTime())
    return `is outside the supported range ${RANGE_TEXT}`;
  return null;
}

export type ParsedTimestamp =
  | { ok: true; date: Date }
  | { ok: false; reason: 'format' | 'range'; message: string };

/** Parses an ISO 8601 string with a zone; says whether a failure is the format or the range. */
export function parseTimestamp(value: string): ParsedTimestamp {
  const match = ISO_WITH_ZONE.exec(value);
  const date = new Date(value.replace(' ', 'T'));
  if (!match || !isRealDateTime(match) || Number.isNaN(date.getTime())) {
    return { ok: false, reason: 'format', message: `is not ${TIMESTAMP_FORMAT_HINT}` };
  }
  const range = timestampRangeProblem(date);
  return range ? { ok: false, reason: 'range', message: range } : { ok: true, date };
}

/**
 * Every date input of the API: `Date | string` in, `Date` out. A string must carry its zone;
 * either form must lie in the range PostgreSQL stores. Errors name the field through zod's path.
 */
export const TimestampInputSchema = z
  .union([z.date(), z.string()], { error: `must be a Date or ${TIMESTAMP_FORMAT_HINT}` })
  .transform((value, ctx): Date => {
    if (value instanceof Date) {
      const problem = timestampRangeProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `${value.toISOString()} ${problem}` });
      return value;
    }
    const parsed = parseTimestamp(value);
    if (parsed.ok) return parsed.date;
    ctx.addIssue({ code: 'custom', message: `'${value.slice(0, 64)}' ${parsed.message}` });
    return z.NEVER;
  });
export type TimestampInput = z.input<typeof TimestampInputSchema>;
