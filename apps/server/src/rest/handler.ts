import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertSafeInput, DomainError, isDomainError, parseModelVersionRef } from '@aihub/core';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { type AppDeps, createRequestContext } from '../context.js';
import { sendJson } from '../http-responses.js';
import { requestRecordOf } from '../observability/request-record.js';
import { appRouter } from '../root.js';
import { createCallerFactory, describeError } from '../trpc.js';

import { fieldKind, objectShape, type ProcedureInfo, routerProcedures } from './procedures.js';
import { modelRefFields, REST_ROUTES, type RestRoute } from './routes.js';

/*
 * Plain-JSON REST over the tRPC procedures (routes in rest/routes.ts). Each request becomes the
 * procedure's input — path parameters, then the query string (GET, DELETE) or the JSON body (POST,
 * PUT) — and is answered by calling the procedure through a server-side caller, so the input
 * schema, auth, roles, metrics and domain-error mapping are the procedure's own.
 *
 * Hand-written rather than trpc-to-openapi's adapter (checked with 3.3.0 and zod 4): that adapter
 * needs an output validator on every procedure (which the tRPC hot path would then run on every
 * answer), sets `coerce` on the shared input schemas in place (so tRPC inputs would be coerced
 * too, and `z.coerce.boolean()` reads "false" as true), names path parameters only after input
 * fields (`{model_id}` could not be a reference) and fixes its own error body. The document is
 * still generated from the zod schemas, by zod-openapi, the library that adapter uses.
 */

const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface CompiledRoute {
  route: RestRoute;
  segments: ({ literal: string } | { param: string })[];
  procedure: ProcedureInfo;
}

/** Trailing slashes do not matter: `/ai/models/` is `/ai/models`. */
function normalize(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function compile(): CompiledRoute[] {
  const procedures = routerProcedures();
  const compiled: CompiledRoute[] = [];
  const seen = new Set<string>();
  for (const route of REST_ROUTES) {
    const procedure = procedures.get(route.procedure);
    if (!procedure)
      throw new Error(`REST route ${route.method} ${route.path}: no procedure ${route.procedure}`);
    const path = normalize(route.path);
    // `/ai/models/` is documented beside `/ai/models`; both are served by the first.
    if (seen.has(`${route.method} ${path}`)) continue;
    seen.add(`${route.method} ${path}`);
    const segments = path
      .split('/')
      .slice(1)
      .map((s) => (s.startsWith('{') ? { param: s.slice(1, -1) } : { literal: s }));
    compiled.push({ route, segments, procedure });
  }
  return compiled;
}

const routes = compile();
const createCaller = createCallerFactory(appRouter);

/** A 400 naming its field, as the procedures' own BAD_REQUESTs do. */
function badRequest(field: string, reason: string): TRPCError {
  const message = `${field}: ${reason}`;
  return new TRPCError({
    code: 'BAD_REQUEST',
    message,
    cause: DomainError.badRequest(message, { [field]: [reason] }),
  });
}

function match(
  method: string,
  path: string,
): { found: CompiledRoute; params: Record<string, string> } | { allowed: string[] } | null {
  const parts = normalize(path).split('/').slice(1);
  const allowed: string[] = [];
  for (const candidate of routes) {
    if (candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const fits = candidate.segments.every((segment, i) => {
      const part = parts[i] as string;
      if ('literal' in segment) return segment.literal === part;
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return false;
      }
      return part.length > 0;
    });
    if (!fits) continue;
    if (candidate.route.method === method) return { found: candidate, params };
    allowed.push(candidate.route.method);
  }
  return allowed.length > 0 ? { allowed } : null;
}

/** Path parameters as input fields. */
function pathInput(route: RestRoute, params: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    const param = route.params?.[name];
    if (!param) continue;
    if ('field' in param) {
      input[param.field] = value;
      continue;
    }
    const ref = parseModelVersionRef(value);
    if (!ref)
      throw badRequest(
        name,
        `'${value.slice(0, 100)}' is not a model version: use its id, name@version, name@stage or name@alias`,
      );
    if (param.modelRef === 'version' && !('id' in ref || 'version' in ref))
      throw badRequest(name, `'${value.slice(0, 100)}' must name one version: its id or name@<version>`);
    Object.assign(input, ref);
  }
  return input;
}

/** The query string as input fields, typed by the procedure's schema (numbers, booleans, repeated keys as lists). */
function queryInput(url: URL, procedure: ProcedureInfo): Record<string, unknown> {
  const shape = objectShape(procedure.input) ?? {};
  const input: Record<string, unknown> = {};
  const convert = (value: string, kind: string): unknown => {
    if (kind === 'number' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
    if (kind === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    // Anything else stays a string, and the schema names the field if it wanted another type.
    return value;
  };
  const unknown = [...new Set(url.searchParams.keys())].filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length > 0) {
    // tRPC drops unknown fields silently; in a query string they are usually typos (`limt=5`).
    const known = Object.keys(shape).join(', ') || 'none';
    throw badRequest(unknown[0] as string, `unknown query parameter (this route takes: ${known})`);
  }
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    const field = shape[key];
    const { kind, element } = field ? fieldKind(field) : { kind: 'other', element: 'other' };
    if (kind === 'array') input[key] = values.map((v) => convert(v, element));
    else input[key] = values.length === 1 ? convert(values[0] as string, kind) : values;
  }
  return input;
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new TRPCError({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Send the body as application/json (got ${type.slice(0, 100)})`,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `Body over ${MAX_BODY_BYTES} bytes` });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest('body', `not valid JSON (${(error as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

function callProcedure(
  caller: ReturnType<typeof createCaller>,
  path: string,
  input: unknown,
): Promise<unknown> {
  let target: unknown = caller;
  for (const segment of path.split('.')) target = (target as Record<string, unknown>)[segment];
  return (target as (input: unknown) => Promise<unknown>)(input);
}

/** Answers a request under `/ai/`. */
export async function handleRestRequest(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = String(res.getHeader('x-request-id'));
  const ctx = createRequestContext(deps, req, res);
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    const matched = match(method, url.pathname);
    if (!matched)
      throw new TRPCError({ code: 'NOT_FOUND', message: `No REST route ${method} ${url.pathname}` });
    if ('allowed' in matched) {
      res.setHeader('allow', matched.allowed.join(', '));
      throw new TRPCError({
        code: 'METHOD_NOT_SUPPORTED',
        message: `${url.pathname} answers ${matched.allowed.join(', ')}, not ${method}`,
      });
    }
    const { found, params } = matched;
    const fromPath = pathInput(found.route, params);
    let input: unknown;
    if (found.procedure.input) {
      const rest =
        method === 'GET' || method === 'DELETE' ? queryInput(url, found.procedure) : await readJsonBody(req);
      // The path alone names the resource: fields it fills are not also taken from the body or query.
      const others = { ...rest };
      for (const param of Object.values(found.route.params ?? {}))
        for (const field of modelRefFields(param)) delete others[field];
      input =
        rest === undefined && Object.keys(fromPath).length === 0 ? undefined : { ...others, ...fromPath };
    } else if (method !== 'GET' && method !== 'DELETE') {
      req.resume();
    }
    // What tRPC's transformer checks before an input reaches a procedure (reserved keys, NUL, lone
    // surrogates, size), checked here too: the caller below takes the input as it is.
    try {
      assertSafeInput(input);
    } catch (cause) {
      if (!isDomainError(cause)) throw cause;
      throw new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
    }
    const data = await callProcedure(createCaller(ctx), found.route.procedure, input);
    sendJson(res, 200, data ?? null);
  } catch (cause) {
    const error =
      cause instanceof TRPCError ? cause : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });
    const record = requestRecordOf(req);
    if (record) record.errorCode ??= error.code;
    if (error.code === 'INTERNAL_SERVER_ERROR')
      ctx.log.error({ err: error.cause ?? error }, 'request failed');
    else ctx.log.debug({ code: error.code, reason: error.message }, 'request rejected');
    const { message, fieldErrors } = describeError(error, requestId);
    if (!req.readableEnded) req.resume();
    sendJson(res, getHTTPStatusCodeFromError(error), {
      error: { code: error.code, message, requestId, fieldErrors },
    });
  }
}
