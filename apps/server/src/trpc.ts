import { type Role, requireRole } from '@aihub/core';
import { initTRPC } from '@trpc/server';
import { authenticateBearer } from './authenticate.js';
import type { AuthedContext, Context } from './context.js';
import { fieldErrorsOf, toTRPCError } from './errors.js';
import { transformer } from './transformer.js';

const t = initTRPC.context<Context>().create({
  // superjson on the wire; answers serialized without its per-node cost (transformer.ts).
  transformer,
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

const authenticate = t.middleware(async ({ ctx, next }) => {
  const principal = await authenticateBearer(ctx.deps, ctx.authorization, ctx.log);
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
