import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX_LENGTH } from '@aihub/core';

/*
 * API keys are random 256-bit secrets, so a plain SHA-256 is the right hash: slow password hashes
 * exist to protect low-entropy secrets, and would add tens of milliseconds to every request here.
 */

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateApiKey(): { token: string; prefix: string; hash: string } {
  const bytes = randomBytes(8);
  let publicPart = '';
  for (const byte of bytes) publicPart += alphabet[byte % alphabet.length];
  const token = `aihub_${publicPart}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix: token.slice(0, API_KEY_PREFIX_LENGTH), hash: hashApiKey(token) };
}

export function apiKeyPrefix(token: string): string {
  return token.slice(0, API_KEY_PREFIX_LENGTH);
}
