import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util's parseArgs in strict mode, with its errors turned into one-line usage errors. */
export function parseCommandArgs<T extends Options>(args: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}\nusage: ${usage}`);
  }
}

export function requireValue(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required\nusage: ${usage}`);
  return value;
}

/** A timestamp flag (ISO 8601 or anything Date.parse reads), checked here so the error names the flag. */
export function parseTime(value: string, flag: string, usage: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new UsageError(`${flag}: '${value}' is not a timestamp\nusage: ${usage}`);
  return time;
}
