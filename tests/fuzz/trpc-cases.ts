import { appRouter } from '@aihub/server';
import type { FuzzFixture, FuzzKeys } from './fixture.js';
import type { FuzzRequest } from './http-cases.js';
import { authVariant } from './http-cases.js';
import type { Random } from './random.js';
import { type KeyRole, SEEDS } from './trpc-seeds.js';
import { mutate, nastyValue, type Value } from './values.js';
import { lyingMeta, toWire } from './wire.js';

/* Malformed tRPC calls: every procedure of the router, its valid seed mutated, sent as a client would. */

interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation';
  inputs: unknown[];
}

type ZodDef = { type: string; [key: string]: unknown };
type ZodLike = { _zod: { def: ZodDef } };

/** Every procedure of the router, read from the router itself so none is ever left out. */
export function procedures(): ProcedureInfo[] {
  const record = (appRouter as unknown as { _def: { procedures: Record<string, { _def: ProcedureInfo }> } })
    ._def.procedures;
  return Object.entries(record)
    .map(([path, p]) => ({ path, type: p._def.type, inputs: p._def.inputs }))
    .filter((p) => p.type === 'query' || p.type === 'mutation')
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** A plausible value for a zod schema, for procedures without a hand-written seed. */
export function sample(schema: unknown, depth = 0): Value {
  const def = (schema as ZodLike | undefined)?._zod?.def;
  if (!def || depth > 8) return 'x';
  const inner = (key: string) => sample(def[key], depth + 1);
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, sample(v, depth + 1)]));
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return inner('innerType');
    case 'pipe':
      return inner('in');
    case 'union':
      return sample((def.options as unknown[])[0], depth + 1);
    case 'array':
      return [inner('element')];
    case 'record':
      return { key: inner('valueType') };
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'literal':
      return (def.values as unknown[])[0];
    case 'number':
    case 'int':
      return 1;
    case 'boolean':
      return true;
    case 'date':
      return new Date();
    case 'lazy':
      return sample((def.getter as () => unknown)(), depth + 1);
    case 'string':
      return def.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'x';
    default:
      return null;
  }
}

export function seedsOf(
  proc: Pick<ProcedureInfo, 'path' | 'inputs'>,
  fx: FuzzFixture,
  rng: Random,
): { key: KeyRole; inputs: Value[] } {
  const seed = SEEDS[proc.path];
  if (seed) return { key: seed.key, inputs: seed.inputs(fx, rng) };
  return { key: 'admin', inputs: [proc.inputs.length > 0 ? sample(proc.inputs[0]) : undefined] };
}

export const unseededProcedures = () =>
  procedures()
    .filter((p) => !SEEDS[p.path])
    .map((p) => p.path);

export function keyFor(role: KeyRole, keys: FuzzKeys): string | undefined {
  return role === 'none' ? undefined : keys[role];
}

/** One call of `proc`: mostly a mutated seed, sometimes the seed itself, a wrong method or a lying meta. */
export function trpcRequest(proc: ProcedureInfo, fx: FuzzFixture, rng: Random): FuzzRequest {
  const { key, inputs } = seedsOf(proc, fx, rng);
  const seed = rng.pick(inputs);
  const roll = rng.next();
  const input = roll < 0.1 ? seed : roll < 0.15 ? nastyValue(rng) : mutate(seed, rng);
  let wire = input === undefined ? undefined : toWire(input);
  if (wire && rng.chance(0.05)) wire = lyingMeta(wire, rng);
  const headers: Record<string, string> = {};
  const token = keyFor(key, fx.keys);
  const auth = rng.chance(0.85) ? (token ? `Bearer ${token}` : undefined) : authVariant(fx.keys, rng);
  if (auth !== undefined) headers.authorization = auth;
  let method = proc.type === 'query' ? 'GET' : 'POST';
  if (rng.chance(0.04)) method = method === 'GET' ? 'POST' : 'GET';
  const encoded = wire === undefined ? undefined : JSON.stringify(wire);
  const target = `trpc ${proc.path}`;
  if (method === 'GET') {
    const query = encoded === undefined ? '' : `?input=${encodeURIComponent(encoded)}`;
    return { target, method, path: `/trpc/${proc.path}${query}`, headers };
  }
  headers['content-type'] = 'application/json';
  return { target, method, path: `/trpc/${proc.path}`, headers, body: encoded ?? '' };
}
