import { z } from 'zod';

/**
 * The one error type of AI Hub. Domain code, repositories and storage adapters throw it;
 * the API maps each code to a transport status in exactly one place.
 */
export const DomainErrorCodeSchema = z.enum([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type DomainErrorCode = z.infer<typeof DomainErrorCodeSchema>;

/** Field path -> reasons; filled for BAD_REQUEST so a client can point at what to fix. */
export type FieldErrors = Record<string, string[]>;

export interface DomainErrorOptions {
  cause?: unknown;
  fields?: FieldErrors;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly fields: FieldErrors | undefined;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.fields = options.fields;
  }

  static notFound(what: string): DomainError {
    return new DomainError('NOT_FOUND', `${what} not found`);
  }

  static conflict(message: string): DomainError {
    return new DomainError('CONFLICT', message);
  }

  static forbidden(message: string): DomainError {
    return new DomainError('FORBIDDEN', message);
  }

  static badRequest(message: string, fields?: FieldErrors): DomainError {
    return new DomainError('BAD_REQUEST', message, fields ? { fields } : {});
  }

  static unavailable(service: string, cause?: unknown): DomainError {
    return new DomainError('UNAVAILABLE', `${service} is unavailable`, { cause });
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/**
 * A field's name in FieldErrors: its path joined with dots, `(input)` for the input itself. A path
 * that is exactly `__proto__` is written `["__proto__"]`: as a key of the answer it would become a
 * prototype in the client's copy of it, and the field would vanish.
 */
export function fieldPath(segments: readonly string[]): string {
  if (segments.length === 0) return '(input)';
  const path = segments.join('.');
  return path === '__proto__' ? '["__proto__"]' : path;
}

/** Turns zod issues into "path: reason" lines, the form every boundary reports bad input in. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): {
  message: string;
  fields: FieldErrors;
} {
  // No prototype: a field named `constructor` or `__proto__` is a field like any other here.
  const fields: FieldErrors = Object.create(null);
  for (const issue of issues) {
    const path = fieldPath(issue.path.map(String));
    fields[path] ??= [];
    fields[path].push(issue.message);
  }
  return { message: invalidInputMessage(fields), fields };
}

/** "Invalid input: path: reason; path: reason", the one message form of a BAD_REQUEST on input. */
export function invalidInputMessage(fields: FieldErrors): string {
  const message = Object.entries(fields)
    .map(([path, reasons]) => `${path}: ${reasons.join('; ')}`)
    .join('; ');
  return `Invalid input: ${message}`;
}

/** Parses with a zod schema and throws BAD_REQUEST naming each bad field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { message, fields } = describeZodIssues(result.error.issues);
  throw DomainError.badRequest(message, fields);
}
