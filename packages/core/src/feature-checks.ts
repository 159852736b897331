import { DomainError } from './errors.js';
import { lookbackHours, parseFeature } from './features.js';

/*
 * No silent nulls (issue 10): a request for a metric the project never recorded is refused, and a
 * range whose rows would mostly have no readings in their windows runs but says so.
 */

/** BAD_REQUEST naming the metric and the ones the project has (at most 20 of them listed). */
export function unknownMetricError(metric: string, known: readonly string[]): DomainError {
  const shown = known.slice(0, 20).map((m) => `'${m}'`);
  const more = known.length > shown.length ? ` and ${known.length - shown.length} more` : '';
  const list = known.length === 0 ? 'none yet: ingest readings first' : `${shown.join(', ')}${more}`;
  const reason = `no readings of '${metric}' were ever recorded in this project (known metrics: ${list})`;
  return DomainError.badRequest(`metric: ${reason}`, { metric: [reason] });
}

/**
 * Hours of readings before H that a set's vector reads (its widest window); 0 when no feature reads
 * the metric (calendar and weather features only), and then no row can lack readings.
 */
export function readingsLookbackHours(features: readonly string[]): number {
  return Math.max(0, ...features.map((f) => lookbackHours(parseFeature(f))));
}

/** Above this share of rows without readings, a range export or retrieval warns. */
export const EMPTY_ROWS_WARNING_SHARE = 0.9;

const count = new Intl.NumberFormat('en-US');

/** `1,180,000 of 1,200,000 rows have no readings: is the range right?`, or null below the threshold. */
export function emptyRowsWarning(rowsWithoutReadings: number, totalRows: number): string | null {
  if (totalRows === 0 || rowsWithoutReadings <= EMPTY_ROWS_WARNING_SHARE * totalRows) return null;
  return `${count.format(rowsWithoutReadings)} of ${count.format(totalRows)} rows have no readings: is the range right?`;
}
