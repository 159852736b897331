import { assertSafeInput } from '@aihub/core';
import superjson, { type SuperJSONResult } from 'superjson';

/*
 * The wire format is superjson's, both ways; clients use superjson itself. Only the server's
 * serialization of answers takes a shortcut: superjson's generic walk allocates a path for every
 * node it visits (1.7 ms for one 100-vector features.get answer, 17 ms at 1000 entities), while
 * answers are almost always plain JSON plus Dates. For those, this emits exactly what
 * superjson.serialize emits (checked against it in transformer.test.ts): the value itself as
 * `json` (a Date's toJSON is the toISOString superjson uses) and a `Date` annotation per Date path.
 * Anything else — undefined, NaN, -0, Map, Set, class instances, shared references — or any doubt
 * goes to superjson unchanged.
 *
 * Keys named `constructor` or `prototype` make superjson.serialize throw (it guards its own
 * deserializer, which would write annotations along such a path). Inputs refuse them, but rows
 * stored before that (a model's metrics, say) must still be readable, so plain JSON holding them is
 * sent as it is: nothing beneath needs an annotation, and both JSON.parse and superjson's copy on
 * the client make an own data property of them. Anything under such a key that would need an
 * annotation is refused (UnsafeAnswer), as is a `__proto__` key: superjson's client-side copy
 * assigns it, which would set the object's prototype. No API input could ever store one (superjson
 * and zod both drop it on the way in); only rows written by hand could hold one.
 */

const escapeKey = (key: string) => key.replace(/\\/g, '\\\\').replace(/\./g, '\\.');

class NotPlain extends Error {}
const notPlain = new NotPlain();
export class UnsafeAnswer extends Error {}
const SERVED_RESERVED_KEYS = new Set(['constructor', 'prototype']);

/** superjson's dotted path: `.` and backslashes in keys escaped, indexes as they are. */
function pathOf(path: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const part = path[i] as string | number;
    if (i > 0) out += '.';
    out += typeof part === 'number' ? String(part) : escapeKey(part);
  }
  return out;
}

/** Whatever superjson would annotate, it cannot under a reserved key (see above). */
function failure(path: readonly (string | number)[], underReservedKey: boolean): Error {
  return underReservedKey
    ? new UnsafeAnswer(`answer has a value needing annotation at ${pathOf(path)}`)
    : notPlain;
}

// The path holds keys unescaped and indexes as numbers: joined only for a Date (or an error), so
// the walk allocates nothing per plain node.
function visit(
  node: unknown,
  path: (string | number)[],
  dates: Record<string, ['Date']>,
  seen: Set<object>,
  underReservedKey = false,
): void {
  switch (typeof node) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(node) || Object.is(node, -0)) throw failure(path, underReservedKey);
      return;
    case 'object':
      break;
    default:
      throw failure(path, underReservedKey);
  }
  if (node === null) return;
  // superjson records a second reference to the same object as a referential equality.
  if (seen.has(node)) throw failure(path, underReservedKey);
  seen.add(node);
  if (node instanceof Date) {
    if (underReservedKey || path.length === 0 || Number.isNaN(node.getTime())) throw failure(path, underReservedKey);
    dates[pathOf(path)] = ['Date'];
    return;
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      if (!(i in node)) throw failure(path, underReservedKey);
      path.push(i);
      visit(node[i], path, dates, seen, underReservedKey);
      path.pop();
    }
    return;
  }
  const proto = Object.getPrototypeOf(node);
  if (proto !== Object.prototype && proto !== null) throw failure(path, underReservedKey);
  for (const key of Object.keys(node)) {
    if (key === '__proto__') throw new UnsafeAnswer(`answer has a __proto__ key at ${pathOf(path)}`);
    const value = (node as Record<string, unknown>)[key];
    if (value === undefined) throw failure(path, underReservedKey);
    path.push(key);
    visit(value, path, dates, seen, underReservedKey || SERVED_RESERVED_KEYS.has(key));
    path.pop();
  }
}

/** superjson.serialize, without its per-node cost for plain JSON and Dates. */
export function serializeAnswer(value: unknown): SuperJSONResult {
  if (typeof value !== 'object' || value === null) return superjson.serialize(value);
  const dates: Record<string, ['Date']> = {};
  try {
    visit(value, [], dates, new Set());
  } catch (error) {
    if (error instanceof NotPlain) return superjson.serialize(value);
    throw error;
  }
  for (const _ in dates) {
    return { json: value as SuperJSONResult['json'], meta: { values: dates, v: 1 } };
  }
  return { json: value as SuperJSONResult['json'] };
}

/**
 * Inputs: superjson, with core's input-safety checks on either side of it. Before, on the JSON as
 * parsed, because superjson copies objects by assignment, which silently turns a `__proto__` key
 * into a prototype; after, because its annotations can make shared or circular references.
 * A refusal here is a BAD_REQUEST naming the fields (tRPC reports input decoding errors as such).
 */
export function deserializeInput(payload: unknown): unknown {
  assertSafeInput(
    typeof payload === 'object' && payload !== null ? (payload as { json?: unknown }).json : payload,
  );
  const value = superjson.deserialize(payload as SuperJSONResult);
  assertSafeInput(value);
  return value;
}

/** The server's transformer: superjson in, superjson-compatible out. */
export const transformer = {
  input: { serialize: superjson.serialize.bind(superjson), deserialize: deserializeInput },
  output: { serialize: serializeAnswer, deserialize: superjson.deserialize.bind(superjson) },
};
