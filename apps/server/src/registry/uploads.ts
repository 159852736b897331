import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, requireRole } from '@aihub/core';
import { z } from 'zod';
import { authenticateBearer } from '../authenticate.js';
import type { AppDeps } from '../context.js';
import { sendError, sendJson } from '../http-responses.js';
import { requestRecordOf } from '../observability/request-record.js';
import { receiveArtifact } from './service.js';

/*
 * `PUT /v1/models/uploads/<version-id>` (or POST): step two of models.register. tRPC carries JSON, so the
 * artifact's bytes come through this plain endpoint and stream straight into object storage; the
 * server never holds more than a couple of multipart parts. Same API keys, same error codes.
 */

export const UPLOAD_ROUTE = '/v1/models/uploads/';

export async function handleModelUpload(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) {
  const requestId = String(res.getHeader('x-request-id'));
  const log = deps.logger.child({ requestId, route: 'models.upload' });
  try {
    // POST too, for clients (the CLI's shared streaming helper, HTML forms) that only POST.
    if (req.method !== 'PUT' && req.method !== 'POST') {
      res.setHeader('allow', 'PUT, POST');
      throw new DomainError('BAD_REQUEST', `Use PUT to upload an artifact (got ${req.method})`);
    }
    const principal = await authenticateBearer(deps, req.headers.authorization, log, requestRecordOf(req));
    requireRole(principal, 'writer');
    const parsed = z.uuid().safeParse(path.slice(UPLOAD_ROUTE.length));
    if (!parsed.success)
      throw DomainError.badRequest('Invalid upload path', {
        versionId: ['must be a model version id (uuid)'],
      });
    const version = await receiveArtifact(deps.registry, principal, parsed.data, req, log);
    log.info(
      { model: version.modelName, version: version.version, bytes: version.sizeBytes },
      'artifact stored',
    );
    sendJson(res, 200, { version });
  } catch (error) {
    sendError(req, res, error, { requestId, log, what: 'upload', unread: 'close' });
  }
}
