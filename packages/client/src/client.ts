import { createTRPCClient, httpBatchLink, httpLink, splitLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
// A plain constant (limits.ts has no imports), inlined into this package's build.
import { MAX_BATCH_SIZE } from '../../../apps/server/src/limits.js';
import type { AppRouter } from './router.js';

/** What the client needs of a fetch: tRPC's own subset (a method, headers, a string body and a signal). */
export type AihubFetch = NonNullable<Parameters<typeof httpLink>[0]['fetch']>;

export interface AihubClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** An API key (`Authorization: Bearer …`). */
  apiKey?: string;
  /**
   * The HTTP transport. By default undici's `request` in Node.js (the `node` build) and the
   * global `fetch` elsewhere (the `browser` build). Any fetch works.
   */
  fetch?: AihubFetch;
  /**
   * Batch calls made in the same tick into one HTTP request. Off by default: the batching link
   * waits a timer tick per call, which measured ~1.7 ms of added latency here (p50 2.5 ms vs
   * 0.9 ms for a trivial query), and inference-time reads care about latency more than requests.
   */
  batch?: boolean;
}

export type AihubClient = TRPCClient<AppRouter>;

/**
 * Query inputs longer than this (URL-encoded) go as POST instead of in the URL. Node.js refuses
 * request headers over 16 KiB (answering 431) and proxies often stop at 8 KiB; a 1,000-entity
 * features.get or a 10,000-row spine is far beyond either. Small queries stay GET.
 */
export const MAX_QUERY_URL_INPUT = 2048;

function inputTooLongForUrl(input: unknown): boolean {
  if (input === undefined) return false;
  // What tRPC's GET would put in the URL: the superjson-serialized input, URI-encoded.
  const serialized = JSON.stringify(superjson.serialize(input));
  return (
    serialized.length > MAX_QUERY_URL_INPUT || encodeURIComponent(serialized).length > MAX_QUERY_URL_INPUT
  );
}

export function createClient(options: AihubClientOptions, defaultFetch: AihubFetch | undefined): AihubClient {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  const linkOptions = {
    url: `${base}trpc`,
    transformer: superjson,
    headers: () => (options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    fetch: options.fetch ?? defaultFetch,
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'query' && inputTooLongForUrl(op.input),
        // tRPC's method override: the query goes as POST with the input in the body; the server allows it.
        true: httpLink({ ...linkOptions, methodOverride: 'POST' }),
        // Batches split at the server's limit on calls per request.
        false: options.batch
          ? httpBatchLink({ ...linkOptions, maxItems: MAX_BATCH_SIZE })
          : httpLink(linkOptions),
      }),
    ],
  });
}
