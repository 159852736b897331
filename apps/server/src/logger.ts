import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Structured JSON logs on stdout, one object per line with an ISO 8601 `time` and the level's
 * name (`"level":"info"`); secrets in headers are never logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'aihub-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: ['req.headers.authorization', 'authorization', 'token'],
  } satisfies LoggerOptions;
  return destination ? pino(options, destination) : pino(options);
}

/** What a log needs of a driver error: pg attaches the whole client object to some of them. */
export function describePgError(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}
