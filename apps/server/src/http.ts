import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { type AppDeps, createRequestContext } from './context.js';
import { handleFastQuery, type TrpcErrorHook } from './fast-queries.js';
import { checkReadinessCached } from './health.js';
import { sendJson } from './http-responses.js';
import { handleIngestRequest } from './ingest/http.js';
import { MAX_BATCH_SIZE } from './limits.js';
import { serveMetrics } from './observability/metrics-endpoint.js';
import { openRequestRecord, type RequestRecord, requestRecordOf } from './observability/request-record.js';
import { handleModelUpload, UPLOAD_ROUTE } from './registry/uploads.js';
import { DOCS_ASSET_ROUTE, serveDocsAsset, serveDocsPage, serveOpenApi } from './rest/docs-page.js';
import { handleRestRequest } from './rest/handler.js';
import { appRouter } from './root.js';
import { createConsoleHandler, DEFAULT_WEB_DIR, isApiPath } from './web-console.js';

export interface HttpServer {
  /** http://host:port */
  url: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), then resolves. */
  close(timeoutMs?: number): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The metrics/log name of a plain HTTP endpoint (bounded: never taken from the URL as is). */
function endpointOf(path: string): string {
  if (path === '/livez' || path === '/readyz' || path === '/metrics') return `http:${path.slice(1)}`;
  if (path.startsWith(UPLOAD_ROUTE)) return 'http:models.upload';
  if (path.startsWith('/v1/ingest/')) return 'http:ingest';
  if (path === '/openapi.json') return 'http:openapi';
  if (path === '/docs' || path.startsWith(DOCS_ASSET_ROUTE)) return 'http:docs';
  // The web console's files and client-side routes (or a 404 where no console is built).
  if (!isApiPath(path)) return 'http:console';
  return 'http:not-found';
}

/** The request log line (one per request) and, for what tRPC does not count itself, its metrics. */
function recordFinished(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  details: { requestId: string; path: string; started: number; record: RequestRecord },
): void {
  const { record } = details;
  const seconds = (performance.now() - details.started) / 1000;
  // A response that never finished: the client went away first (nginx's 499).
  const status = res.writableFinished ? res.statusCode : 499;
  // REST routes run procedures too, recorded by the same middleware.
  const trpc = details.path.startsWith('/trpc/') || details.path.startsWith('/ai/');
  let procedure: string;
  if (!trpc) {
    procedure = endpointOf(details.path);
    deps.metrics.observeRequest(procedure, status, seconds);
  } else if (record.procedures.length > 0) {
    procedure = record.procedures.join(',');
  } else {
    // Unknown procedure, oversized batch, unreadable input: no procedure ran, so tRPC counted nothing.
    procedure = details.path.startsWith('/ai/') ? 'rest:unmatched' : 'trpc:unmatched';
    deps.metrics.observeRequest(procedure, status, seconds);
  }
  deps.logger.info(
    {
      requestId: details.requestId,
      method: req.method,
      procedure,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      key: record.keyName,
      ...(record.errorCode ? { error: record.errorCode } : {}),
    },
    'request',
  );
}
/** A caller's request id is kept when it looks like one, so logs can be joined across services. */
function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[A-Za-z0-9._-]{8,128}$/.test(incoming) ? incoming : randomUUID();
}

export async function startHttpServer(
  deps: AppDeps,
  options: { host: string; port: number; webDir?: string | undefined },
): Promise<HttpServer> {
  const webConsole = createConsoleHandler(options.webDir ?? DEFAULT_WEB_DIR);
  const onTrpcError: TrpcErrorHook = ({ error, path, ctx, req }) => {
    const log = ctx?.log ?? deps.logger;
    const record = requestRecordOf(req);
    if (record) record.errorCode ??= error.code;
    if (error.code === 'INTERNAL_SERVER_ERROR')
      log.error({ err: error.cause ?? error, path }, 'request failed');
    // The request line says the status and code; the reason is detail.
    else log.debug({ code: error.code, path, reason: error.message }, 'request rejected');
  };
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
    // Clients send large query inputs (10,000-row spines, 1,000 entity ids) as POST bodies.
    allowMethodOverride: true,
    createContext: ({ req, res }) => createRequestContext(deps, req, res),
    onError: onTrpcError,
  });

  const server = createServer((req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record = openRequestRecord(req);
    res.once('close', () => recordFinished(deps, req, res, { requestId, path, started, record }));
    if (path === '/livez') return sendJson(res, 200, { status: 'ok' });
    if (path === '/metrics') return void serveMetrics(deps.metrics, deps.metricsToken, req, res);
    if (path === '/readyz') {
      // For load balancers and orchestrators: the same checks as health.ready, as an HTTP status.
      checkReadinessCached(deps.probes).then(
        (readiness) => sendJson(res, readiness.ready ? 200 : 503, readiness),
        () => sendJson(res, 503, { ready: false }),
      );
      return;
    }
    if (path.startsWith('/trpc/')) {
      // features.get and predictions.predict skip the adapter's Fetch API round trip (fast-queries.ts).
      if (handleFastQuery(deps, req, res, req.url ?? path, onTrpcError)) return;
      return void trpc(req, res);
    }
    if (path.startsWith(UPLOAD_ROUTE)) return void handleModelUpload(deps, req, res, path);
    if (path.startsWith('/v1/ingest/')) return void handleIngestRequest(deps, req, res, path);
    if (path.startsWith('/ai/')) return void handleRestRequest(deps, req, res);
    if (path === '/openapi.json') return serveOpenApi(res, deps.logger);
    if (path === '/docs' || path === '/docs/') return serveDocsPage(res);
    if (path.startsWith(DOCS_ASSET_ROUTE)) return void serveDocsAsset(req, res, path);
    if (webConsole(req, res, path)) return;
    sendJson(res, 404, { error: `No route ${path}; the API is under /trpc/ and /ai/ (see /openapi.json)` });
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
