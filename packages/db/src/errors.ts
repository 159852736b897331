import { DomainError } from '@aihub/core';
import type { PoolClient } from 'pg';

// Small typed guards over driver errors, so no caller compares error-code strings itself.

interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
}

/** SQLSTATE 23505 from pg, or Prisma's P2002 wrapping it. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as PgLikeError).code;
  if (code === '23505' || code === 'P2002') return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUniqueViolation(cause);
}

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08003',
  '08006',
  'P1001', // Prisma: can't reach database server
  'P1002', // Prisma: database server timed out
  'P1017', // Prisma: server closed the connection
  'P2024', // Prisma: timed out fetching a connection from the pool
]);

export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as PgLikeError).code;
  if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  if (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|is not queryable/i.test(message)
  ) {
    return true;
  }
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}

/** Rethrows driver errors as the domain's error type; DomainErrors pass through untouched. */
export function translateDbError(error: unknown, conflictMessage = 'Already exists'): never {
  if (error instanceof DomainError) throw error;
  if (isUniqueViolation(error)) throw new DomainError('CONFLICT', conflictMessage, { cause: error });
  if (isConnectionError(error)) throw DomainError.unavailable('PostgreSQL', error);
  throw error;
}

/** A pooled connection, or UNAVAILABLE when PostgreSQL cannot be reached. */
export async function connectOrThrow(pool: { connect(): Promise<PoolClient> }): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    translateDbError(error);
  }
}
