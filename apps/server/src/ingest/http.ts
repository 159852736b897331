import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, IngestFormatSchema, IngestKindSchema } from '@aihub/core';
import { authenticateBearer } from '../authenticate.js';
import type { AppDeps } from '../context.js';
import { sendError, sendJson } from '../http-responses.js';
import { requestRecordOf } from '../observability/request-record.js';
import { ingestFile } from './service.js';

/*
 * POST /v1/ingest/<entities|readings|weather>?format=csv|ndjson&strict=true|false
 * A plain streaming endpoint beside tRPC: the file is parsed as it arrives, so a file larger than
 * memory works. Answers the same IngestSummary as the `ingest.*` procedures.
 */

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
    const principal = await authenticateBearer(deps, req.headers.authorization, log, requestRecordOf(req));
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
    sendJson(res, 200, summary);
  } catch (error) {
    sendError(req, res, error, { requestId, log, what: 'ingest', unread: 'drain' });
  }
}
