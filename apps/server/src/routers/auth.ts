import { readerProcedure } from '../trpc.js';

export const authRouter = {
  /** Who the key is: its name, role and project. */
  whoami: readerProcedure.query(({ ctx }) => ({
    keyId: ctx.principal.keyId,
    keyName: ctx.principal.keyName,
    role: ctx.principal.role,
    project: ctx.principal.project,
  })),
};
