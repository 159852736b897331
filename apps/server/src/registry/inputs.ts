import {
  AliasNameSchema,
  ArtifactFormatSchema,
  DemoteToSchema,
  EMPTY_LINEAGE,
  LineageSchema,
  MetadataSchema,
  MetricFilterSchema,
  MetricsSchema,
  ModelNameSchema,
  ModelSortSchema,
  ModelStageSchema,
  type ModelVersionRef,
  ParamsSchema,
  RegistrationStatusSchema,
  Sha256Schema,
  TagsSchema,
  VersionNumberSchema,
} from '@aihub/core';
import { z } from 'zod';

/* Input schemas of the models.* procedures: every field validated here, named in BAD_REQUEST. */

const comment = z.string().trim().max(1000, 'must be at most 1000 characters').optional();

/** One version, named by id, by name+version, by name+stage or by name+alias (exactly one way). */
const refShape = {
  id: z.uuid('must be a model version id (uuid)').optional(),
  name: ModelNameSchema.optional(),
  version: VersionNumberSchema.optional(),
  stage: ModelStageSchema.optional(),
  alias: AliasNameSchema.optional(),
};

type RefFields = {
  id?: string;
  name?: string;
  version?: number;
  stage?: z.infer<typeof ModelStageSchema>;
  alias?: string;
};

export function toRef(input: RefFields): ModelVersionRef {
  if (input.id) return { id: input.id };
  const name = input.name as string;
  if (input.version !== undefined) return { name, version: input.version };
  if (input.stage !== undefined) return { name, stage: input.stage };
  return { name, alias: input.alias as string };
}

function checkRef(
  input: RefFields,
  ctx: z.RefinementCtx,
  selectors: readonly ('version' | 'stage' | 'alias')[],
): void {
  if (input.id !== undefined) {
    if (input.name !== undefined || selectors.some((s) => input[s] !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: 'give either id or name with one selector, not both',
      });
    }
    return;
  }
  if (input.name === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['id'],
      message: `give id, or name with one of ${selectors.join(', ')}`,
    });
    return;
  }
  const given = selectors.filter((s) => input[s] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message: `with name, give exactly one of ${selectors.join(', ')}`,
    });
  }
}

/** A full reference plus the procedure's own fields. */
export function withRef<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({ ...refShape, ...shape })
    .superRefine((input, ctx) => checkRef(input as RefFields, ctx, ['version', 'stage', 'alias']));
}

/** A reference by id or name+version only, for procedures with their own `stage`/`alias` fields. */
export function withVersionRef<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({ id: refShape.id, name: refShape.name, version: refShape.version, ...shape })
    .superRefine((input, ctx) => checkRef(input as RefFields, ctx, ['version']));
}

export const RegisterInput = z.object({
  name: ModelNameSchema,
  format: ArtifactFormatSchema,
  description: z.string().trim().max(2000).optional(),
  tags: TagsSchema.optional(),
  metrics: MetricsSchema.default({}),
  params: ParamsSchema.default({}),
  metadata: MetadataSchema.default({}),
  lineage: LineageSchema.default(() => ({ ...EMPTY_LINEAGE })),
  /** Optional: when given, the upload must match them. */
  sizeBytes: z.number().int().positive().optional(),
  sha256: Sha256Schema.optional(),
  comment,
});

export const ListInput = z
  .object({
    nameContains: z.string().min(1).max(128).optional(),
    stage: ModelStageSchema.optional(),
    status: RegistrationStatusSchema.exclude(['deleting']).optional(),
    alias: AliasNameSchema.optional(),
    tag: z.string().min(1).max(600).optional(),
    metrics: z.array(MetricFilterSchema).max(20).default([]),
    sort: ModelSortSchema.default('createdAt'),
    sortMetric: z.string().min(1).max(100).optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: z.number().int().min(1).max(500).default(50),
    cursor: z.string().max(2000).optional(),
  })
  .default({ metrics: [], sort: 'createdAt', order: 'desc', limit: 50 });

export const PromoteInput = withVersionRef({
  to: ModelStageSchema,
  demoteTo: DemoteToSchema.default('archived'),
  comment,
});
export const SetAliasInput = withVersionRef({ alias: AliasNameSchema, comment });
export const RemoveAliasInput = z.object({ name: ModelNameSchema, alias: AliasNameSchema, comment });
export const DeleteInput = withRef({ force: z.boolean().default(false), comment });
export const CopyInput = withRef({ toName: ModelNameSchema, comment });
export const DownloadInput = withRef({ expiresInSeconds: z.number().int().min(1).max(604_800).optional() });
export const GetInput = withRef({});
export const HistoryInput = z.object({
  name: ModelNameSchema,
  version: VersionNumberSchema.optional(),
});
