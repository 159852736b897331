import { type ParseArgsConfig, parseArgs } from 'node:util';
import { globalFlags } from './argv.js';
import { UsageError } from './cli-error.js';
import { closest } from './suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs in strict mode; its errors become one-line usage errors that suggest the closest flag. */
export function parseCommandArgs<T extends Options>(args: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    if (unknown) {
      const known = [...Object.keys(options).map((name) => `--${name}`), ...globalFlags.map((f) => f.name)];
      const guess = closest(unknown.split('=')[0] as string, known);
      throw new UsageError(
        `unknown option '${unknown}'${guess ? `; did you mean '${guess}'?` : ''}\nusage: ${usage}`,
      );
    }
    throw new UsageError(`${message.split('\n')[0]}\nusage: ${usage}`);
  }
}

export function requireValue(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required\nusage: ${usage}`);
  return value;
}

// ISO 8601 date and time WITH a zone (Z or ±hh:mm): a zone-less time would be read in whatever zone
// the reader happens to be in, so it is refused rather than guessed.
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Whether a timestamp text is ISO 8601 with a zone and a real instant. */
export function isZonedTime(value: string): boolean {
  return ZONED_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/** A timestamp flag, checked here so the error names the flag; sent to the server as written. */
export function parseTime(value: string, flag: string, usage: string): string {
  if (!isZonedTime(value))
    throw new UsageError(
      `${flag}: '${value}' is not an ISO 8601 timestamp with a zone (e.g. 2026-03-01T00:00:00Z)\nusage: ${usage}`,
    );
  return value;
}

/** A positive integer flag (--limit, --version), checked here so the error names the flag. */
export function parseCount(value: string, flag: string, usage: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag}: '${value}' is not a positive whole number\nusage: ${usage}`);
  return n;
}

/** A positive number flag (--threshold), checked here so the error names the flag. */
export function parsePositive(value: string, flag: string, usage: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag}: '${value}' is not a positive number\nusage: ${usage}`);
  return n;
}
