import type { z } from 'zod';
import { appRouter } from '../root.js';

/*
 * The router's procedures as the REST layer needs them: each one's input schema and kind, read
 * from the built router (tRPC keeps them on `_def`, as trpc-to-openapi reads them too).
 */

export interface ProcedureInfo {
  type: 'query' | 'mutation' | 'subscription';
  /** The zod input schema, or null for a procedure without input. */
  input: z.ZodType | null;
}

interface ProcedureDef {
  _def: { type: ProcedureInfo['type']; inputs: unknown[] };
}

const procedures = (appRouter._def as unknown as { procedures: Record<string, ProcedureDef> }).procedures;

/** Every procedure of the router by its path (`models.get`). */
export function routerProcedures(): Map<string, ProcedureInfo> {
  const map = new Map<string, ProcedureInfo>();
  for (const [path, procedure] of Object.entries(procedures)) {
    const inputs = procedure._def.inputs;
    if (inputs.length > 1) throw new Error(`${path}: the REST layer expects at most one input schema`);
    map.set(path, { type: procedure._def.type, input: (inputs[0] as z.ZodType | undefined) ?? null });
  }
  return map;
}

/*
 * A zod 4 schema's structure, for finding the object shape of an input and the kind of each
 * field. Reads `_zod.def`, which zod documents for library authors ("zod/v4/core").
 */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      in?: SchemaNode;
      element?: SchemaNode;
      shape?: Record<string, SchemaNode>;
    };
  };
}

/** Unwraps optional/default/nullable/pipe (a transform's input side) down to the schema underneath. */
export function unwrapSchema(schema: unknown): SchemaNode {
  let node = schema as SchemaNode;
  for (;;) {
    const def = node._zod.def;
    if (
      def.innerType &&
      ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)
    )
      node = def.innerType;
    else if (def.type === 'pipe' && def.in) node = def.in;
    else return node;
  }
}

/** The fields of an object input (after unwrapping), or null when the input is not an object. */
export function objectShape(schema: unknown): Record<string, z.ZodType> | null {
  const node = unwrapSchema(schema);
  return node._zod.def.type === 'object' ? ((node._zod.def.shape ?? {}) as Record<string, z.ZodType>) : null;
}

export type FieldKind = 'number' | 'boolean' | 'array' | 'other';

/** What a field is, to read its value from a query string. */
export function fieldKind(schema: unknown): { kind: FieldKind; element: FieldKind } {
  const node = unwrapSchema(schema);
  const type = node._zod.def.type;
  if (type === 'array' && node._zod.def.element) {
    return { kind: 'array', element: fieldKind(node._zod.def.element).kind };
  }
  const kind: FieldKind = type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : 'other';
  return { kind, element: 'other' };
}
