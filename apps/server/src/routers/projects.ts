import { DomainError, ProjectNameSchema } from '@aihub/core';
import { z } from 'zod';
import { generateApiKey } from '../api-keys.js';
import { adminProcedure, readerProcedure } from '../trpc.js';

export const projectsRouter = {
  /** Root-project admins create tenants; the answer carries the new project's first admin key, shown once. */
  create: adminProcedure
    .input(
      z.object({
        name: ProjectNameSchema,
        description: z.string().trim().max(500, 'must be at most 500 characters').optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!ctx.principal.project.isRoot) {
        throw DomainError.forbidden('Only admins of the root project can create projects');
      }
      const project = await ctx.deps.projects.create({
        name: input.name,
        description: input.description ?? null,
      });
      const secret = generateApiKey();
      const key = await ctx.deps.apiKeys.create({
        projectId: project.id,
        name: 'initial-admin',
        role: 'admin',
        prefix: secret.prefix,
        hash: secret.hash,
      });
      ctx.log.info({ created: project.name }, 'project created');
      return { project, adminKey: { ...key, token: secret.token } };
    }),

  /** Root admins see every project; any other key sees its own. */
  list: readerProcedure.query(async ({ ctx }) => {
    const { principal } = ctx;
    if (principal.project.isRoot && principal.role === 'admin') return ctx.deps.projects.list();
    return ctx.deps.projects.list({ ids: [principal.project.id] });
  }),
};
