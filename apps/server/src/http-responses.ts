import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Logger } from 'pino';
import { fieldErrorsOf, toTRPCError } from './errors.js';

/*
 * Answers of the plain HTTP endpoints beside tRPC (file ingest, artifact upload, probes). Errors use
 * the same codes, statuses and messages as the tRPC API, through the same mapping in errors.ts.
 */

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  options: { close?: boolean } = {},
): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  // After a refusal the rest of an upload is not read: close rather than drain gigabytes.
  if (options.close) res.setHeader('connection', 'close');
  res.end(JSON.stringify(body));
}

/** `{ error: { code, message, requestId, fieldErrors } }` with the tRPC code's HTTP status. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  context: {
    requestId: string;
    log: Logger;
    what: string;
    /**
     * What to do with the rest of a refused upload: 'drain' reads and discards it, so the client
     * can read the answer (ingest files); 'close' ends the connection instead of reading gigabytes
     * (artifacts).
     */
    unread: 'drain' | 'close';
  },
): void {
  const trpc = toTRPCError(
    error instanceof TRPCError ? error : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: error }),
  );
  const internal = trpc.code === 'INTERNAL_SERVER_ERROR';
  if (internal) context.log.error({ err: error }, `${context.what} failed`);
  else context.log.info({ code: trpc.code, reason: trpc.message }, `${context.what} rejected`);
  const message = internal ? `Internal server error (request id ${context.requestId})` : trpc.message;
  const fieldErrors = fieldErrorsOf(trpc)?.fields ?? null;
  sendJson(
    res,
    getHTTPStatusCodeFromError(trpc),
    { error: { code: trpc.code, message, requestId: context.requestId, fieldErrors } },
    // A request destroyed before its end can no longer be drained: close rather than leave the
    // rest of its body where the connection's next request would be read.
    { close: !req.readableEnded && (context.unread === 'close' || req.destroyed) },
  );
  if (context.unread === 'drain') req.resume();
}
