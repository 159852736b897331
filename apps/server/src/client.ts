import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from './root.js';

/**
 * A typed client for TypeScript callers in other repositories: `@aihub/server/client`.
 * Imports only the router's type, so bundling it pulls in no server code.
 */
export function createAihubClient(options: { url: string; apiKey?: string; fetch?: typeof fetch }) {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}trpc`,
        transformer: superjson,
        headers: () => (options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

export type AihubClient = ReturnType<typeof createAihubClient>;
export type { AppRouter } from './root.js';
