import { requireRole, type Role } from '@aihub/core';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { apiKeyPrefix, hashApiKey } from './api-keys.js';
import type { AuthedContext, Context } from './context.js';
import { fieldErrorsOf, toTRPCError } from './errors.js';

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Never send stack traces to clients, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const requestId = ctx?.requestId;
    const fieldErrors = error.code === 'BAD_REQUEST' ? fieldErrorsOf(error) : null;
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? `Internal server error (request id ${requestId ?? 'unknown'})`
        : (fieldErrors?.message ?? shape.message);
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId,
        fieldErrors: fieldErrors?.fields ?? null,
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

export const publicProcedure = t.procedure.use(mapDomainErrors);

// lastUsedAt is informational: write it at most once a minute per key, off the request path.
const LAST_USED_RESOLUTION_MS = 60_000;

const authenticate = t.middleware(async ({ ctx, next }) => {
  const header = ctx.authorization;
  if (!header) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'Missing API key: send "Authorization: Bearer <key>"',
    });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'Malformed Authorization header: expected "Bearer <key>"',
    });
  }
  const token = match[1];
  const found = await ctx.deps.apiKeys.findActiveByHash(hashApiKey(token));
  if (!found) {
    ctx.log.info({ keyPrefix: apiKeyPrefix(token) }, 'rejected API key');
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid or revoked API key' });
  }
  const now = new Date();
  if (!found.key.lastUsedAt || now.getTime() - found.key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    ctx.deps.apiKeys.markUsed(found.key.id, now).catch((error: unknown) => {
      ctx.log.warn({ err: error }, 'could not record API key use');
    });
  }
  const principal = {
    keyId: found.key.id,
    keyName: found.key.name,
    role: found.key.role,
    project: found.project,
  };
  const authed: AuthedContext = {
    ...ctx,
    principal,
    log: ctx.log.child({ project: found.project.name, key: found.key.prefix }),
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
