import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { sendJson } from '../http-responses.js';
import { openApiDocument } from './openapi.js';

/*
 * GET /openapi.json and GET /docs: the document, and an interactive reference page rendered by
 * Scalar's standalone browser bundle, served from node_modules. Every asset is same-origin (no CDN,
 * default fonts off), so the page works on a machine without internet access.
 */

export const DOCS_ASSET_ROUTE = '/docs/assets/';

const bundleDir = join(dirname(createRequire(import.meta.url).resolve('@scalar/api-reference')), 'browser');

const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>AI Hub API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="${DOCS_ASSET_ROUTE}standalone.js"></script>
    <script>
      Scalar.createApiReference('#app', {
        url: '/openapi.json',
        withDefaultFonts: false,
        telemetry: false,
        hideClientButton: true,
        showDeveloperTools: 'never',
        agent: { disabled: true },
        mcp: { disabled: true },
      });
    </script>
  </body>
</html>
`;

export function serveDocsPage(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(DOCS_HTML);
}

export function serveOpenApi(res: ServerResponse, log: Logger): void {
  let document: object;
  try {
    document = openApiDocument();
  } catch (error) {
    // A schema the generator cannot render is a bug here, not a reason to take the process down.
    log.error({ err: error }, 'OpenAPI document could not be generated');
    const requestId = String(res.getHeader('x-request-id'));
    const message = `Internal server error (request id ${requestId})`;
    sendJson(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message, requestId, fieldErrors: null } });
    return;
  }
  sendJson(res, 200, document);
}

/** The bundle and its chunks; only plain file names, so no path can leave the bundle's folder. */
export async function serveDocsAsset(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const name = path.slice(DOCS_ASSET_ROUTE.length);
  if (!/^(chunks\/)?[A-Za-z0-9._-]+\.(js|css)$/.test(name) || name.includes('..'))
    return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No asset ${name}` } });
  const file = join(bundleDir, name);
  try {
    const info = await stat(file);
    res.statusCode = 200;
    res.setHeader('content-type', name.endsWith('.css') ? 'text/css' : 'text/javascript; charset=utf-8');
    res.setHeader('content-length', info.size);
    res.setHeader('cache-control', 'public, max-age=3600');
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  } catch {
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No asset ${name}` } });
  }
}
