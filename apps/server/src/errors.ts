import { type DomainErrorCode, describeZodIssues, type FieldErrors, isDomainError } from '@aihub/core';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';

/** The one place domain error codes become transport codes. */
const codeMap: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** Converts whatever a procedure threw into a TRPCError with the right code (unknown errors stay INTERNAL). */
export function toTRPCError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (isDomainError(cause)) {
    return new TRPCError({ code: codeMap[cause.code], message: cause.message, cause });
  }
  return error;
}

/** Field errors for BAD_REQUEST, from zod input validation or a DomainError. */
export function fieldErrorsOf(error: TRPCError): { message: string; fields: FieldErrors } | null {
  const cause = error.cause;
  if (cause instanceof ZodError) return describeZodIssues(cause.issues);
  if (isDomainError(cause) && cause.fields) return { message: cause.message, fields: cause.fields };
  return null;
}
