import { DomainError } from '@aihub/core';
import { readerProcedure, writerProcedure } from '../trpc.js';
import {
  CopyInput,
  DeleteInput,
  DownloadInput,
  GetInput,
  HistoryInput,
  ListInput,
  PromoteInput,
  RegisterInput,
  RemoveAliasInput,
  SetAliasInput,
  toRef,
} from './inputs.js';
import { copyVersion, deleteVersion, readyArtifact, uploadPath } from './service.js';

/*
 * The model registry API. Reads need a reader key, changes a writer key; deleting a production
 * version needs `force` and an admin key. Every call is scoped to the caller's project.
 */
export const modelsRouter = {
  /** Step one of a registration: a `pending` version and where to PUT its bytes (see registry/uploads.ts). */
  register: writerProcedure.input(RegisterInput).mutation(async ({ ctx, input }) => {
    const { maxArtifactBytes } = ctx.deps.registry;
    if (input.sizeBytes !== undefined && input.sizeBytes > maxArtifactBytes) {
      // Refused before anything is stored: the upload could never complete.
      const reason = `must be at most ${maxArtifactBytes} bytes (MODEL_MAX_ARTIFACT_BYTES)`;
      throw DomainError.badRequest(`Invalid input: sizeBytes: ${reason}`, { sizeBytes: [reason] });
    }
    const version = await ctx.deps.registry.models.createVersion({
      projectId: ctx.principal.project.id,
      name: input.name,
      description: input.description ?? null,
      tags: input.tags,
      format: input.format,
      declaredSizeBytes: input.sizeBytes ?? null,
      declaredSha256: input.sha256 ?? null,
      metrics: input.metrics,
      params: input.params,
      metadata: input.metadata,
      lineage: input.lineage,
      actor: ctx.principal.keyName,
      comment: input.comment ?? null,
    });
    ctx.log.info(
      { model: version.modelName, version: version.version },
      'model version registered (pending)',
    );
    return { version, upload: { method: 'PUT' as const, path: uploadPath(version.id) } };
  }),

  /**
   * One version. Its lineage carries the statistics of the export it was trained on (null without
   * an export, or until that export succeeded): the reference drift is measured against.
   */
  get: readerProcedure.input(GetInput).query(async ({ ctx, input }) => {
    const projectId = ctx.principal.project.id;
    const version = await ctx.deps.registry.models.get(projectId, toRef(input));
    const { exportId } = version.lineage;
    const statistics = exportId ? await ctx.deps.exports.exports.statistics(projectId, exportId) : null;
    return { ...version, lineage: { ...version.lineage, statistics } };
  }),

  list: readerProcedure
    .input(ListInput)
    .query(({ ctx, input }) => ctx.deps.registry.models.list(ctx.principal.project.id, input)),

  promote: writerProcedure.input(PromoteInput).mutation(async ({ ctx, input }) => {
    const { models } = ctx.deps.registry;
    const target = await models.get(ctx.principal.project.id, toRef(input));
    return models.promote(ctx.principal.project.id, target.id, {
      to: input.to,
      demoteTo: input.demoteTo,
      actor: ctx.principal.keyName,
      comment: input.comment ?? null,
    });
  }),

  setAlias: writerProcedure.input(SetAliasInput).mutation(async ({ ctx, input }) => {
    const { models } = ctx.deps.registry;
    const target = await models.get(ctx.principal.project.id, toRef(input));
    return models.setAlias(
      ctx.principal.project.id,
      target.id,
      input.alias,
      ctx.principal.keyName,
      input.comment ?? null,
    );
  }),

  removeAlias: writerProcedure.input(RemoveAliasInput).mutation(async ({ ctx, input }) => {
    await ctx.deps.registry.models.removeAlias(
      ctx.principal.project.id,
      input.name,
      input.alias,
      ctx.principal.keyName,
      input.comment ?? null,
    );
    return { removed: true as const };
  }),

  delete: writerProcedure.input(DeleteInput).mutation(async ({ ctx, input }) => {
    const result = await deleteVersion(ctx.deps.registry, ctx.principal, {
      ref: toRef(input),
      force: input.force,
      comment: input.comment ?? null,
    });
    ctx.log.info(result, 'model version deleted');
    return result;
  }),

  copy: writerProcedure
    .input(CopyInput)
    .mutation(({ ctx, input }) =>
      copyVersion(
        ctx.deps.registry,
        ctx.principal,
        { source: toRef(input), toName: input.toName, comment: input.comment ?? null },
        ctx.log,
      ),
    ),

  /** A presigned GET URL of the artifact, with the sha256 the download must have. */
  download: readerProcedure.input(DownloadInput).query(async ({ ctx, input }) => {
    const { registry } = ctx.deps;
    const artifact = await readyArtifact(registry, ctx.principal, toRef(input));
    const ttl = input.expiresInSeconds ?? registry.downloadUrlTtlSeconds;
    const url = await registry.artifacts.presignGet(artifact.key, ttl);
    const { version } = artifact;
    return {
      url,
      expiresAt: new Date(Date.now() + ttl * 1000),
      sha256: artifact.sha256,
      sizeBytes: artifact.sizeBytes,
      fileName: `${version.modelName}-v${version.version}.${version.format}`,
      version,
    };
  }),

  /** Reads the stored artifact through and checks it against its recorded sha256 and size. */
  verify: readerProcedure.input(GetInput).query(async ({ ctx, input }) => {
    const { registry } = ctx.deps;
    const artifact = await readyArtifact(registry, ctx.principal, toRef(input));
    const stream = await registry.artifacts.openVerified(artifact.key, artifact);
    for await (const _ of stream);
    return { ok: true as const, sha256: artifact.sha256, sizeBytes: artifact.sizeBytes };
  }),

  history: readerProcedure
    .input(HistoryInput)
    .query(({ ctx, input }) => ctx.deps.registry.models.history(ctx.principal.project.id, input)),
};
