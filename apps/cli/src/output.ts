/** Output helpers: `--json` prints the raw result (full precision); otherwise a compact table or key: value lines. */

/** A number for a table: integers whole, other numbers with up to 6 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'object')
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? Number(formatNumber(v)) : v));
  return String(value);
}

/**
 * `aihub … | head` closes stdout early: the next write fails with EPIPE. That is the reader saying
 * "enough", not an error, so the process ends quietly instead of printing a stack trace.
 */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((values) => values[i]?.length ?? 0)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function printFields(record: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(record).map((key) => key.length));
  for (const [key, value] of Object.entries(record))
    process.stdout.write(`${key.padEnd(width)}  ${cell(value)}\n`);
}

/** Warnings of a result (e.g. most rows of a range have no readings): on stderr, so stdout stays data. */
export function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
}

/** Most problem lines a command prints; the rest are counted in one closing line. */
export const MAX_PROBLEM_LINES = 1000;

/**
 * Problem lines (`line N: reason`), at most MAX_PROBLEM_LINES of them, then `… and N more` when
 * there were more (`total` counts those the server did not list either).
 */
export function problemLines(
  problems: readonly { line: number; reason: string }[],
  total = problems.length,
): string[] {
  const shown = problems.slice(0, MAX_PROBLEM_LINES).map((p) => `line ${p.line}: ${p.reason}`);
  const more = Math.max(total, problems.length) - shown.length;
  return more > 0 ? [...shown, `… and ${more} more`] : shown;
}
