import { type AihubClient, type AihubClientOptions, createClient } from './client.js';

export type { AihubClient, AihubClientOptions, AihubFetch } from './client.js';
export { MAX_QUERY_URL_INPUT } from './client.js';
export * from './errors.js';
export type * from './router.js';

/** A typed AI Hub client (browser build: the global `fetch` unless `fetch` is given). */
export function createAihubClient(options: AihubClientOptions): AihubClient {
  return createClient(options, undefined);
}
