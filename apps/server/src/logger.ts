import { type Logger, pino } from 'pino';

/** Structured JSON logs on stdout; secrets in headers are never logged. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'aihub-server' },
    redact: ['req.headers.authorization', 'authorization', 'token'],
  });
}

/** What a log needs of a driver error: pg attaches the whole client object to some of them. */
export function describePgError(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}
