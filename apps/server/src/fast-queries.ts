import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
  transformTRPCResponse,
} from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { type AppDeps, type Context, createRequestContext } from './context.js';
import { appRouter } from './root.js';

/*
 * The inference-time reads (features.get, predictions.predict) as single, unbatched tRPC calls,
 * answered without tRPC's HTTP adapter. Since tRPC 11 the node adapter turns every request into a
 * Fetch API Request (URL, Headers, AbortSignal.any) and the answer into a Response read back
 * through a web stream; profiled over bench/online at batch 1 that was the largest part of the
 * server's CPU time per request (more than parsing HTTP, the Redis round trip or the procedure).
 *
 * Only the transport is replaced: the call goes through tRPC's own `callProcedure`, so context,
 * auth, roles, input validation, metrics and error mapping are the procedure's, and the answer —
 * success or error, body and status — is what tRPC's single-call JSON path writes (the same
 * `transformTRPCResponse` and `getErrorShape` over the same router config; checked against the
 * adapter in test/fast-queries.test.ts). Anything unusual (a batch, a content type other than
 * JSON, an unknown length, streaming accept headers, connection params) is left to the adapter.
 */

const FAST_PROCEDURES = new Set(['features.get', 'predictions.predict']);
/** POST bodies (tRPC's method override for long inputs) read here; longer ones go to the adapter. */
const MAX_FAST_BODY_BYTES = 1024 * 1024;

/** Calls answered here since start (tests check that the fast path is the one taken). */
export const fastQueryStats = { answered: 0 };

export type TrpcErrorHook = (opts: {
  error: TRPCError;
  path: string | undefined;
  ctx: Context | undefined;
  req: IncomingMessage;
}) => void;

/** The procedure a request is a plain single call of, or undefined when the adapter must answer it. */
function fastProcedureOf(req: IncomingMessage, path: string, query: string): string | undefined {
  const name = path.slice('/trpc/'.length);
  if (!FAST_PROCEDURES.has(name)) return undefined;
  const { headers } = req;
  if (headers['trpc-accept'] !== undefined || headers.accept?.includes('application/jsonl')) return undefined;
  // GET carries the input in `?input=`; anything else in the query (batch, connectionParams) is the adapter's.
  if (query !== '' && !/^input=[^&]*$/.test(query)) return undefined;
  const contentType = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (req.method === 'GET')
    return contentType === undefined || contentType === 'application/json' ? name : undefined;
  if (req.method !== 'POST' || query !== '' || contentType !== 'application/json') return undefined;
  const length = Number(headers['content-length']);
  return Number.isInteger(length) && length >= 0 && length <= MAX_FAST_BODY_BYTES ? name : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString()),
    );
    req.once('error', reject);
  });
}

/**
 * tRPC's input reading for one call: JSON from `?input=` (GET) or the body (POST), then the
 * transformer; no input is `undefined`; a failure is a BAD_REQUEST with its message.
 */
async function rawInput(req: IncomingMessage, query: string): Promise<unknown> {
  try {
    const text = req.method === 'GET' ? new URLSearchParams(query).get('input') : await readBody(req);
    if (!text) return undefined;
    return appRouter._def._config.transformer.input.deserialize(JSON.parse(text));
  } catch (cause) {
    if (cause instanceof TRPCError) throw cause;
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: cause instanceof Error ? cause.message : 'Invalid input',
      cause,
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(transformTRPCResponse(appRouter._def._config, body as never));
  res.statusCode = status;
  res.setHeader('vary', 'trpc-accept, accept');
  res.setHeader('content-type', 'application/json');
  res.end(json);
}

/** Answers `req` when it is a plain call of a fast procedure; false when the tRPC adapter must. */
export function handleFastQuery(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  onError: TrpcErrorHook,
): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const name = fastProcedureOf(req, path, query);
  if (name === undefined) return false;
  fastQueryStats.answered++;
  const ctx = createRequestContext(deps, req, res);
  let input: unknown;
  const getRawInput = async () => {
    input = await rawInput(req, query);
    return input;
  };
  callTRPCProcedure({
    router: appRouter,
    path: name,
    getRawInput,
    ctx,
    type: 'query',
    signal: undefined,
    batchIndex: 0,
  })
    .then(
      (data: unknown) => send(res, 200, { result: { data } }),
      (cause: unknown) => {
        const error = getTRPCErrorFromUnknown(cause);
        onError({ error, path: name, ctx, req });
        const shape = getTRPCErrorShape({
          config: appRouter._def._config,
          error,
          type: 'query',
          path: name,
          input,
          ctx,
        });
        send(res, getHTTPStatusCodeFromError(error), { error: shape });
      },
    )
    .catch((error: unknown) => {
      deps.logger.error({ err: error }, 'could not answer a request');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  return true;
}
