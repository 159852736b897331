import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-responses.js';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics`: the Prometheus text exposition. With METRICS_TOKEN set, only a scraper sending
 * `Authorization: Bearer <METRICS_TOKEN>` gets it (compared in constant time).
 */
export async function serveMetrics(
  metrics: Metrics,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: `Use GET for /metrics (got ${req.method})` });
  }
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer');
    return sendJson(res, 401, { error: 'Send "Authorization: Bearer <METRICS_TOKEN>" to read /metrics' });
  }
  try {
    const { contentType, body } = await metrics.render();
    res.statusCode = 200;
    res.setHeader('content-type', contentType);
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    sendJson(res, 500, { error: 'Could not collect the metrics' });
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const given = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
