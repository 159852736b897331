import type { AppRouter } from '@aihub/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { CliError, UsageError } from './cli-error.js';

export type ApiClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export interface Connection {
  url: string;
  apiKey: string | undefined;
}

export const MISSING_KEY = 'no API key: set AIHUB_API_KEY or pass --api-key';

/** The server's base URL with a trailing slash, refusing anything that is not http(s). */
export function baseUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  // `localhost:8080` parses as a URL whose scheme is "localhost:"; both cases get the same sentence.
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new UsageError(`--url: '${url}' is not an http(s) URL; did you mean 'http://${url}'?`);
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return parsed;
}

export function createApiClient(connection: Connection): ApiClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: new URL('trpc', baseUrl(connection.url)).href,
        transformer: superjson,
        // Every call as POST: inputs of the documented sizes (a 10,000-row spine, 1,000 entity ids)
        // do not fit in a URL (the server answers 431 past 16 KiB of headers).
        methodOverride: 'POST',
        headers: () => (connection.apiKey ? { authorization: `Bearer ${connection.apiKey}` } : {}),
      }),
    ],
  });
}

/** The errno-style code (ECONNREFUSED, ENOTFOUND, …) somewhere in an error's cause chain. */
function networkCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e)
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  return undefined;
}

export const unreachable = (url: string, error: unknown) =>
  new CliError(
    `cannot reach AI Hub at ${url} (${networkCode(error) ?? (error as Error).message})`,
    1,
    'UNREACHABLE',
  );

/**
 * What answered at `url` when it did not answer like AI Hub: an AI Hub server answers `GET /livez`
 * with 200 `{"status":"ok"}`, so anything else is a different server (or none).
 */
async function probeLivez(url: string, answer: string): Promise<CliError> {
  let res: Response;
  try {
    res = await fetch(new URL('livez', baseUrl(url)), { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    return unreachable(url, error);
  }
  const body = (await res.json().catch(() => null)) as { status?: unknown } | null;
  if (res.status !== 200 || body?.status !== 'ok')
    return new CliError(`${url} is not an AI Hub server (GET /livez answered ${res.status})`, 1, 'NOT_AIHUB');
  return new CliError(`unexpected answer from AI Hub at ${url}: ${answer}`, 1, 'BAD_RESPONSE');
}

/** Turns a client-side failure into one sentence a person can act on, with a code for `--json`. */
export async function describeApiError(error: unknown, connection: Connection): Promise<CliError> {
  if (error instanceof CliError) return error;
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string } | undefined;
    if (!data?.code) {
      if (networkCode(error)) return unreachable(connection.url, error);
      return probeLivez(connection.url, error.message);
    }
    if (data.code === 'UNAUTHORIZED' && !connection.apiKey) return new CliError(MISSING_KEY, 1, data.code);
    const suffix = data.code === 'INTERNAL_SERVER_ERROR' ? '' : ` [${data.code}]`;
    return new CliError(`${error.message}${suffix}`, 1, data.code);
  }
  return new CliError(error instanceof Error ? error.message : String(error));
}

/** The same for the plain-HTTP endpoints (uploads, ingest): their errors are `{ error: { code, message } }`. */
export async function describeHttpFailure(
  res: { status: number; payload: unknown },
  connection: Connection,
): Promise<CliError> {
  const failure = (res.payload as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof failure?.code !== 'string' || typeof failure.message !== 'string')
    return probeLivez(connection.url, `HTTP ${res.status}`);
  if (failure.code === 'UNAUTHORIZED' && !connection.apiKey)
    return new CliError(MISSING_KEY, 1, failure.code);
  return new CliError(`${failure.message} [${failure.code}]`, 1, failure.code);
}
