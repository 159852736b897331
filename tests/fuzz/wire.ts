import type { Random } from './random.js';
import { isRecord, Special, type Value } from './values.js';

/*
 * superjson's wire form, written by hand rather than with superjson.serialize: the fuzzer must be
 * able to send what superjson itself refuses to produce (reserved keys, annotations on paths that
 * do not exist, referential equalities forming cycles).
 */

const escapeKey = (key: string) => key.replace(/\\/g, '\\\\').replace(/\./g, '\\.');

export interface Wire {
  json: unknown;
  meta?: unknown;
}

/** `{ json, meta }` for a value tree: Dates and Specials become annotations. */
export function toWire(value: Value): Wire {
  const values: Record<string, string[]> = {};
  let rootAnnotation: string[] | undefined;
  const walk = (node: Value, path: string[]): unknown => {
    const annotate = (annotation: string[]) => {
      if (path.length === 0) rootAnnotation = annotation;
      else values[path.join('.')] = annotation;
    };
    if (node instanceof Date) {
      annotate(['Date']);
      return Number.isNaN(node.getTime()) ? 'Invalid Date' : node.toISOString();
    }
    if (node instanceof Special) {
      annotate(node.annotation);
      return node.json;
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, String(i)]));
    if (isRecord(node)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(node)) {
        Object.defineProperty(out, key, {
          value: walk(node[key], [...path, escapeKey(key)]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  const json = walk(value, []);
  if (rootAnnotation) return { json, meta: { values: rootAnnotation, v: 1 } };
  return Object.keys(values).length > 0 ? { json, meta: { values, v: 1 } } : { json };
}

/** Annotations that lie: on missing or reserved paths, unknown types, cycles by referential equality. */
export function lyingMeta(wire: Wire, rng: Random): Wire {
  const meta = rng.pick<unknown>([
    { values: { 'nope.deeper': ['Date'] } },
    { values: { __proto__x: ['Date'] } },
    JSON.parse('{"values": {"__proto__.polluted": ["Date"]}}'),
    { values: { 'constructor.prototype.polluted': ['bigint'] } },
    { values: ['nope'] },
    { values: ['Date'] },
    { values: { '': ['Date'] } },
    { values: 'Date' },
    { referentialEqualities: { '': ['a'] } },
    { referentialEqualities: { a: ['a.b', 'a.b.c'] } },
    { referentialEqualities: ['x'] },
    { referentialEqualities: { '': ['x.y'] } },
    { v: 99 },
    'meta',
    null,
    [],
  ]);
  return { json: wire.json, meta };
}
