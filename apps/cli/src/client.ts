import type { AppRouter } from '@aihub/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { CliError, UsageError } from './cli-error.js';

export type ApiClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export interface Connection {
  url: string;
  apiKey: string | undefined;
}

export function createApiClient(connection: Connection): ApiClient {
  let base: URL;
  try {
    base = new URL(connection.url);
  } catch {
    throw new UsageError(`--url: '${connection.url}' is not a URL`);
  }
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: new URL('trpc', base.href.endsWith('/') ? base.href : `${base.href}/`).href,
        transformer: superjson,
        headers: () => (connection.apiKey ? { authorization: `Bearer ${connection.apiKey}` } : {}),
      }),
    ],
  });
}

/** Turns a client-side failure into one line a person can act on. */
export function describeApiError(error: unknown, url: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; requestId?: string } | undefined;
    if (!data?.code) {
      const cause = error.cause as { code?: string; cause?: { code?: string } } | undefined;
      const code = cause?.code ?? cause?.cause?.code;
      return new CliError(`cannot reach AI Hub at ${url}${code ? ` (${code})` : `: ${error.message}`}`);
    }
    const suffix = data.code === 'INTERNAL_SERVER_ERROR' ? '' : ` [${data.code}]`;
    return new CliError(`${error.message}${suffix}`);
  }
  return new CliError(error instanceof Error ? error.message : String(error));
}
