import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, IngestFormatSchema, IngestKindSchema, isDomainError } from '@aihub/core';
import { authenticateBearer } from '../authenticate.js';
import type { AppDeps } from '../context.js';
import { ingestFile } from './service.js';

/*
 * POST /v1/ingest/<entities|readings|weather>?format=csv|ndjson&strict=true|false
 * A plain streaming endpoint beside tRPC: the file is parsed as it arrives, so a file larger than
 * memory works. Answers the same IngestSummary as the `ingest.*` procedures.
 */

const statusOf: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
};

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function formatOf(url: URL, req: IncomingMessage): string {
  const explicit = url.searchParams.get('format');
  if (explicit) return explicit;
  const type = req.headers['content-type'] ?? '';
  return /ndjson|jsonl|x-json-stream/.test(type) ? 'ndjson' : 'csv';
}

export async function handleIngestRequest(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const requestId = String(res.getHeader('x-request-id'));
  const log = deps.logger.child({ requestId });
  try {
    if (req.method !== 'POST') throw new DomainError('BAD_REQUEST', 'Use POST to upload a file');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const kind = IngestKindSchema.safeParse(path.slice('/v1/ingest/'.length));
    if (!kind.success)
      throw DomainError.notFound(
        `Ingest kind '${path.slice('/v1/ingest/'.length)}' (one of entities, readings, weather)`,
      );
    const format = IngestFormatSchema.safeParse(formatOf(url, req));
    if (!format.success)
      throw DomainError.badRequest('format: must be csv or ndjson', { format: ['must be csv or ndjson'] });
    const strictParam = url.searchParams.get('strict') ?? 'false';
    if (strictParam !== 'true' && strictParam !== 'false') {
      throw DomainError.badRequest('strict: must be true or false', { strict: ['must be true or false'] });
    }
    const principal = await authenticateBearer(deps, req.headers.authorization, log);
    const summary = await ingestFile(
      deps,
      principal,
      { kind: kind.data, format: format.data, strict: strictParam === 'true' },
      req,
    );
    log.info(
      {
        kind: kind.data,
        accepted: summary.accepted,
        rejected: summary.rejected,
        committed: summary.committed,
      },
      'ingested',
    );
    send(res, 200, summary);
  } catch (error) {
    // Drain what the client is still sending, so it can read the answer instead of a reset connection.
    req.resume();
    if (isDomainError(error)) {
      send(res, statusOf[error.code] ?? 500, {
        error: { code: error.code, message: error.message, fields: error.fields ?? null, requestId },
      });
      return;
    }
    log.error({ err: error }, 'ingest failed');
    send(res, 500, {
      error: { code: 'INTERNAL', message: `Internal server error (request id ${requestId})`, requestId },
    });
  }
}
