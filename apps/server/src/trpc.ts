import { type FieldErrors, type Role, requireRole } from '@aihub/core';
import { initTRPC, type TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODE_NUMBER } from '@trpc/server/rpc';
import { authenticateBearer } from './authenticate.js';
import type { AuthedContext, Context } from './context.js';
import { fieldErrorsOf, toTRPCError } from './errors.js';
import { MAX_BATCH_SIZE } from './limits.js';
import { transformer } from './transformer.js';

// tRPC's own message for a batch over maxBatchSize, completed with the limit.
const BATCH_TOO_LARGE = 'Batch call exceeds maximum size';

/** Every error answer's shape (written out so clients' declarations need nothing of the server's). */
export interface AihubErrorShape {
  message: string;
  code: TRPC_ERROR_CODE_NUMBER;
  data: {
    code: TRPC_ERROR_CODE_KEY;
    httpStatus: number;
    path: string | undefined;
    requestId: string | undefined;
    /** BAD_REQUEST only: each invalid field and why. */
    fieldErrors: FieldErrors | null;
  };
}

/** The message and field errors a caller sees for an error (tRPC's formatter and the REST routes). */
export function describeError(
  error: TRPCError,
  requestId: string | undefined,
): { message: string; fieldErrors: FieldErrors | null } {
  const fieldErrors = error.code === 'BAD_REQUEST' ? fieldErrorsOf(error) : null;
  const message =
    error.code === 'INTERNAL_SERVER_ERROR'
      ? `Internal server error (request id ${requestId ?? 'unknown'})`
      : error.message === BATCH_TOO_LARGE
        ? `${BATCH_TOO_LARGE}: at most ${MAX_BATCH_SIZE} calls per request`
        : (fieldErrors?.message ?? error.message);
  return { message, fieldErrors: fieldErrors?.fields ?? null };
}

const t = initTRPC.context<Context>().create({
  // superjson on the wire; answers serialized without its per-node cost (transformer.ts).
  transformer,
  // Never send stack traces to clients, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error, ctx }): AihubErrorShape {
    const requestId = ctx?.requestId;
    const { message, fieldErrors } = describeError(error, requestId);
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId,
        fieldErrors,
      },
    };
  },
});

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors thrown anywhere below become the matching tRPC code. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) return { ...result, error: toTRPCError(result.error) };
  return result;
});

/** Per-call count and latency by procedure and status (a batch's calls are counted one by one). */
const observeCall = t.middleware(async ({ ctx, path, next }) => {
  const started = performance.now();
  ctx.record?.procedures.push(path);
  const result = await next();
  const status = result.ok ? 200 : getHTTPStatusCodeFromError(result.error);
  ctx.deps.metrics.observeRequest(path, status, (performance.now() - started) / 1000);
  return result;
});

export const publicProcedure = t.procedure.use(observeCall).use(mapDomainErrors);

const authenticate = t.middleware(async ({ ctx, next }) => {
  const principal = await authenticateBearer(ctx.deps, ctx.authorization, ctx.log, ctx.record);
  const authed: AuthedContext = {
    ...ctx,
    principal,
    log: ctx.log.child({ project: principal.project.name, key: principal.keyName }),
  };
  return next({ ctx: authed });
});

function withRole(minimum: Role) {
  return publicProcedure.use(authenticate).use(async ({ ctx, next }) => {
    requireRole(ctx.principal, minimum);
    return next();
  });
}

/** Any valid key of the project. */
export const readerProcedure = withRole('reader');
/** Keys that may change the project's data. */
export const writerProcedure = withRole('writer');
/** Keys that manage the project (and, for the root project, the platform). */
export const adminProcedure = withRole('admin');
