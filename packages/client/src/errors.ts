import { isTRPCClientError, type TRPCClientError } from '@trpc/client';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { AihubErrorData, AppRouter } from './router.js';

/** The codes an AI Hub error answer carries in `error.data.code` (tRPC's, which the server maps its errors to). */
export type AihubErrorCode = TRPC_ERROR_CODE_KEY;
export const AIHUB_ERROR_CODES = Object.freeze(Object.keys(TRPC_ERROR_CODES_BY_KEY) as AihubErrorCode[]);

/** An error answered by the AI Hub server (as opposed to a network failure), narrowed to one code. */
export type AihubError<C extends AihubErrorCode = AihubErrorCode> = TRPCClientError<AppRouter> & {
  readonly data: AihubErrorData & { readonly code: C };
};

/**
 * True when `error` is an answer of the AI Hub server, with the given code if one is given:
 * `if (isAihubError(e, 'NOT_FOUND')) …`. Network failures (no answer) are not AI Hub errors.
 */
export function isAihubError<C extends AihubErrorCode = AihubErrorCode>(
  error: unknown,
  code?: C,
): error is AihubError<C> {
  if (!isTRPCClientError(error)) return false;
  const data = error.data as { code?: unknown } | null | undefined;
  if (typeof data?.code !== 'string') return false;
  return code === undefined || data.code === code;
}
