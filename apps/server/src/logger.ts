import { pino, type Logger } from 'pino';

/** Structured JSON logs on stdout; secrets in headers are never logged. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'aihub-server' },
    redact: ['req.headers.authorization', 'authorization', 'token'],
  });
}
