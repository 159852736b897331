import {
  ApiKeyNameSchema,
  assertCanManageProject,
  DomainError,
  type Principal,
  ProjectNameSchema,
  RoleSchema,
} from '@aihub/core';
import { z } from 'zod';
import { generateApiKey } from '../api-keys.js';
import type { AppDeps } from '../context.js';
import { adminProcedure } from '../trpc.js';

/** Optional `project` (by name): only root-project admins may name a project other than their own. */
const projectSelector = z.object({ project: ProjectNameSchema.optional() });

async function managedProjectId(
  deps: AppDeps,
  principal: Principal,
  projectName: string | undefined,
): Promise<string> {
  if (projectName === undefined) return principal.project.id;
  assertCanManageProject(principal, projectName);
  if (projectName === principal.project.name) return principal.project.id;
  const project = await deps.projects.getByName(projectName);
  if (!project) throw DomainError.notFound(`Project '${projectName}'`);
  return project.id;
}

export const keysRouter = {
  create: adminProcedure
    .input(projectSelector.extend({ name: ApiKeyNameSchema, role: RoleSchema }))
    .mutation(async ({ ctx, input }) => {
      const projectId = await managedProjectId(ctx.deps, ctx.principal, input.project);
      const secret = generateApiKey();
      const key = await ctx.deps.apiKeys.create({
        projectId,
        name: input.name,
        role: input.role,
        prefix: secret.prefix,
        hash: secret.hash,
      });
      ctx.log.info({ keyId: key.id, role: key.role }, 'API key created');
      // The token is returned once and never stored: only its hash is.
      return { key, token: secret.token };
    }),

  list: adminProcedure
    .input(
      projectSelector
        .extend({ includeRevoked: z.boolean().default(false) })
        .default({ includeRevoked: false }),
    )
    .query(async ({ ctx, input }) => {
      const projectId = await managedProjectId(ctx.deps, ctx.principal, input.project);
      return ctx.deps.apiKeys.list(projectId, { includeRevoked: input.includeRevoked });
    }),

  revoke: adminProcedure
    .input(projectSelector.extend({ id: z.uuid('must be an API key id (uuid)') }))
    .mutation(async ({ ctx, input }) => {
      const projectId = await managedProjectId(ctx.deps, ctx.principal, input.project);
      const key = await ctx.deps.apiKeys.revoke(projectId, input.id);
      ctx.log.info({ keyId: key.id }, 'API key revoked');
      return key;
    }),
};
