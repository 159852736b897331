import { z } from 'zod';
import { DomainError } from './errors.js';
import { type ModelStage, ModelStageSchema } from './registry.js';

/** The allowed stage transitions; anything else is refused with the list of what is allowed. */
const transitions: Record<ModelStage, readonly ModelStage[]> = {
  staging: ['production', 'archived'],
  production: ['archived'],
  archived: ['staging'],
};

export function canTransition(from: ModelStage, to: ModelStage): boolean {
  return transitions[from].includes(to);
}

/** Throws PRECONDITION_FAILED naming the allowed targets when `from -> to` is not a transition. */
export function assertTransition(from: ModelStage, to: ModelStage): void {
  if (canTransition(from, to)) return;
  const allowed = transitions[from].join(', ');
  throw new DomainError(
    'PRECONDITION_FAILED',
    `Cannot move a version from ${from} to ${to} (allowed from ${from}: ${allowed})`,
  );
}

/** Where the current production version goes when another one is promoted. */
export const DemoteToSchema = z.enum(['archived', 'staging']);
export type DemoteTo = z.infer<typeof DemoteToSchema>;

/**
 * Alias names: lowercase slugs. Names that read like a stage, `latest` or a version number are
 * refused, so `name@x` in a reference can never mean two things.
 */
export const AliasNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    'must be 1-63 characters: lowercase letters, digits, _ and -, starting with a letter',
  )
  .refine((a) => !/^v\d+$/.test(a), 'must not look like a version number (v1, v2, ...)')
  .refine(
    (a) => a !== 'latest' && !ModelStageSchema.options.includes(a as ModelStage),
    'is reserved (latest and the stage names)',
  );

export const METRIC_OPERATORS = ['<', '<=', '>', '>=', '=', '!='] as const;
export type MetricOperator = (typeof METRIC_OPERATORS)[number];

export interface MetricFilter {
  metric: string;
  op: MetricOperator;
  value: number;
}

const metricFilterPattern = /^\s*([A-Za-z_][A-Za-z0-9_.:/-]{0,99})\s*(<=|>=|!=|==|<|>|=)\s*(\S+)\s*$/;

/** Parses `mape < 0.1`, `r2>=0.9`, `rmse = 3`; returns a reason string for anything else. */
export function parseMetricFilter(text: string): MetricFilter | string {
  const match = metricFilterPattern.exec(text);
  if (!match)
    return `'${text}' is not a comparison like 'mape < 0.1' (operators ${METRIC_OPERATORS.join(' ')})`;
  const [, metric, rawOp, rawValue] = match as unknown as [string, string, string, string];
  const value = Number(rawValue);
  if (rawValue === '' || !Number.isFinite(value)) return `'${rawValue}' is not a finite number`;
  const op = (rawOp === '==' ? '=' : rawOp) as MetricOperator;
  return { metric, op, value };
}

/** A filter as the API takes it: the text form, parsed at the boundary so errors name the field. */
export const MetricFilterSchema = z.string().transform((text, ctx) => {
  const parsed = parseMetricFilter(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

export const ModelSortSchema = z.enum(['createdAt', 'name', 'version', 'metric']);
export type ModelSort = z.infer<typeof ModelSortSchema>;

/** The position after the last row of a page; opaque to clients. */
export interface ListCursor {
  sort: string;
  key: [string | number, string | number];
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const CursorSchema = z.object({
  sort: z.string(),
  key: z.tuple([z.union([z.string(), z.number()]), z.union([z.string(), z.number()])]),
});

/** Throws BAD_REQUEST on `cursor` when it is malformed or was made for another sort order. */
export function decodeCursor(text: string, sort: string): ListCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  const parsed = CursorSchema.safeParse(value);
  if (!parsed.success)
    throw DomainError.badRequest('Invalid cursor', { cursor: ['is not a cursor from this API'] });
  if (parsed.data.sort !== sort) {
    throw DomainError.badRequest('Cursor belongs to another sort order', {
      cursor: ['was returned for a different sort; start again without a cursor'],
    });
  }
  return parsed.data;
}
