import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { type AppDeps, createRequestContext } from './context.js';
import { checkReadiness } from './health.js';
import { sendJson } from './http-responses.js';
import { handleIngestRequest } from './ingest/http.js';
import { appRouter } from './root.js';
import { handleModelUpload, UPLOAD_ROUTE } from './uploads.js';

export interface HttpServer {
  /** http://host:port */
  url: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then resolves. */
  close(timeoutMs?: number): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A caller's request id is kept when it looks like one, so logs can be joined across services. */
function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(incoming) ? incoming : randomUUID();
}

export async function startHttpServer(
  deps: AppDeps,
  options: { host: string; port: number },
): Promise<HttpServer> {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req, res }) => createRequestContext(deps, req, res),
    onError({ error, path, ctx }) {
      const log = ctx?.log ?? deps.logger;
      if (error.code === 'INTERNAL_SERVER_ERROR')
        log.error({ err: error.cause ?? error, path }, 'request failed');
      else log.info({ code: error.code, path, reason: error.message }, 'request rejected');
    },
  });

  const server = createServer((req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      deps.logger.debug(
        {
          requestId,
          method: req.method,
          url: req.url,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/livez') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      // For load balancers and orchestrators: the same checks as health.ready, as an HTTP status.
      checkReadiness(deps.probes).then(
        (readiness) => sendJson(res, readiness.ready ? 200 : 503, readiness),
        () => sendJson(res, 503, { ready: false }),
      );
      return;
    }
    if (path?.startsWith('/trpc/')) return void trpc(req, res);
    if (path?.startsWith(UPLOAD_ROUTE)) return void handleModelUpload(deps, req, res, path);
    if (path?.startsWith('/v1/ingest/')) return void handleIngestRequest(deps, req, res, path);
    sendJson(res, 404, { error: `No route ${path}; the API is under /trpc/` });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close(timeoutMs = 15_000) {
      closing ??= new Promise<void>((resolve) => {
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
