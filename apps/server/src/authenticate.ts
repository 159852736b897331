import { DomainError, type Principal } from '@aihub/core';
import type { Logger } from 'pino';
import { apiKeyPrefix, hashApiKey } from './api-keys.js';
import type { AppDeps } from './context.js';
import type { RequestRecord } from './observability/request-record.js';

// lastUsedAt is informational: write it at most once a minute per key, off the request path.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves an `Authorization: Bearer <key>` header into a principal, or throws UNAUTHORIZED.
 * Used by the tRPC base procedures and by the plain HTTP streaming endpoints alike.
 */
export async function authenticateBearer(
  deps: AppDeps,
  header: string | undefined,
  log: Logger,
  /** The request's record: gets the key's name for the request log line. */
  record?: RequestRecord,
): Promise<Principal> {
  if (!header) {
    throw new DomainError('UNAUTHORIZED', 'Missing API key: send "Authorization: Bearer <key>"');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    throw new DomainError('UNAUTHORIZED', 'Malformed Authorization header: expected "Bearer <key>"');
  }
  const token = match[1];
  const found = await deps.apiKeys.findActiveByHash(hashApiKey(token));
  if (!found) {
    log.info({ keyPrefix: apiKeyPrefix(token) }, 'rejected API key');
    throw new DomainError('UNAUTHORIZED', 'Invalid or revoked API key');
  }
  if (record) record.keyName = found.key.name;
  const now = new Date();
  if (!found.key.lastUsedAt || now.getTime() - found.key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    deps.apiKeys.markUsed(found.key.id, now).catch((error: unknown) => {
      log.warn({ err: error }, 'could not record API key use');
    });
  }
  return { keyId: found.key.id, keyName: found.key.name, role: found.key.role, project: found.project };
}
