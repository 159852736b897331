import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/*
 * The web console (apps/web, built to static files) served at / on the API's own origin, so the
 * browser calls /trpc without CORS. sirv serves the files (ETags, ranges, precompressed, immutable
 * caching of hashed assets); every other GET that is not an API path gets index.html, so the
 * console's client-side routes (/models/x, /exports…) load on refresh and from shared links.
 */

/** Paths that belong to the API and never fall back to the console, whatever is (or is not) behind them. */
const API_PREFIXES = ['/trpc', '/v1', '/ai', '/metrics', '/openapi.json', '/docs', '/livez', '/readyz'];

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

/** apps/web/dist beside this package (apps/server/dist/web-console.js → apps/web/dist). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

// Only same-origin scripts, styles and requests; the console has no inline script.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * A handler that serves the console and answers true, or answers false for what it does not serve
 * (API paths, methods other than GET/HEAD, or no built console in `dir`).
 */
export function createConsoleHandler(dir: string): ConsoleHandler {
  if (!existsSync(`${dir}/index.html`)) return () => false;
  const serve = sirv(dir, {
    single: true,
    etag: true,
    gzip: false,
    brotli: false,
    dotfiles: false,
    setHeaders(res, pathname) {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      // Hashed asset names change with their content; index.html must be revalidated.
      res.setHeader(
        'cache-control',
        pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (req, res, path) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(path)) return false;
    serve(req, res, () => {
      res.statusCode = 404;
      res.end();
    });
    return true;
  };
}
