import type { Random } from './random.js';

/*
 * Malformed values and the mutations that plant them in otherwise valid inputs. A value tree is
 * plain JSON plus Dates and `Special`s (what superjson can express beyond JSON: bigint, undefined,
 * NaN, Set...), encoded for the wire by wire.ts.
 */

/** A value superjson sends as `json` plus an annotation (e.g. a bigint as '12' + ['bigint']). */
export class Special {
  constructor(
    readonly json: unknown,
    readonly annotation: string[],
  ) {}
}

export type Value = unknown;

/** An object with an own data property of any name, `__proto__` included (a literal would set the prototype). */
export function objectWith(entries: readonly [string, Value][]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function isRecord(value: Value): value is Record<string, Value> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Special)
  );
}

/** Copies a tree, keeping Dates, Specials and own `__proto__` keys. */
export function clone(value: Value): Value {
  if (Array.isArray(value)) return value.map(clone);
  if (value instanceof Date) return new Date(value.getTime());
  if (isRecord(value)) return objectWith(Object.keys(value).map((k) => [k, clone(value[k])]));
  return value;
}

const HOUR = 3_600_000;

/** Timestamps at and beyond every edge: PostgreSQL's range, JavaScript's, calendars, zones. */
export const NASTY_TIMESTAMPS: readonly string[] = [
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59Z',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:30:00+01:00',
  '9999-12-31T23:59:59-14:00',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:00:00Z',
  '10000-01-01T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '2026-02-30T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2026-01-31T13:00:00',
  '2026-01-31 13:00:00',
  '2026-01-31',
  '2026-01-31T25:00:00Z',
  '2026-01-31T23:59:60Z',
  '2026-01-31T13:00:00+24:00',
  '2026-01-31T13:00:00+01',
  '2026-01-31T13:00:00+0530',
  '2026-01-31T13:00:00.123456789+05:30',
  '2026-01-31t13:00:00z',
  '1970-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  'yesterday',
  'now',
  '1e12',
  '',
];

export const NASTY_DATES: readonly (() => Date)[] = [
  () => new Date(Number.NaN),
  () => new Date(Date.UTC(0, 0, 1) - 1), // before year 1
  () => new Date(-62_135_596_800_000 - HOUR), // year 0
  () => new Date(-62_135_596_800_000), // 0001-01-01
  () => new Date(253_402_300_799_999), // 9999-12-31T23:59:59.999Z
  () => new Date(253_402_300_800_000), // year 10000
  () => new Date(8.64e15),
  () => new Date(-8.64e15),
  () => new Date(0),
  () => new Date(Math.floor(Date.now() / HOUR) * HOUR),
];

export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'a\u0000b',
  '\u0000',
  'a\ud800',
  '\udc00b',
  '\ud800\ud800',
  '\ud83d\ude00',
  'é€',
  '\u202eevil',
  '\u0007\u001b[31m',
  'line\nbreak',
  'tab\there',
  '%00',
  '%',
  '../../etc/passwd',
  "'; DROP TABLE projects; --",
  '" OR 1=1 --',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}',
  '<script>alert(1)</script>',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '0x10',
  'true',
  'forecast_basic',
  'forecast_advanced',
  'kwh',
  'production',
  'champion',
  'mape < 0.1',
  'mape < NaN',
  'x < 1e400',
  'mape <',
  'k=v',
  '=',
  ':',
  '@',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'not-a-uuid',
  'a'.repeat(64),
  'a'.repeat(129),
  'x'.repeat(2_001),
  'aihub_',
  'Bearer x',
];

const NASTY_NUMBERS: readonly number[] = [
  0,
  -1,
  1,
  1.5,
  -0,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  1e15,
  1e21,
  1e308,
  -1e308,
  5e-324,
  -(2 ** 31) - 1,
  10_000,
  10_001,
  100_001,
  8_760,
  8_761,
];

const SPECIALS: readonly (() => Special)[] = [
  () => new Special('123', ['bigint']),
  () => new Special('99999999999999999999999', ['bigint']),
  () => new Special('x', ['bigint']),
  () => new Special(null, ['undefined']),
  () => new Special('NaN', ['number']),
  () => new Special('Infinity', ['number']),
  () => new Special('-Infinity', ['number']),
  () => new Special('-0', ['number']),
  () => new Special(['a', 'b'], ['set']),
  () => new Special([['k', 'v']], ['map']),
  () => new Special('/a+/g', ['regexp']),
  () => new Special('/(a+)+$/', ['regexp']),
  () => new Special({ name: 'Error', message: 'x' }, ['Error']),
  () => new Special('http://x/', ['URL']),
  () => new Special('sym', ['symbol', 'sym']),
  () => new Special({}, ['class', 'Unregistered']),
  () => new Special('x', ['custom', 'unknown']),
  () => new Special('x', ['nope']),
  () => new Special('2026-01-01T00:00:00Z', ['Date']),
  () => new Special('not a date', ['Date']),
];

function deep(depth: number, make: (inner: Value) => Value): Value {
  let value: Value = 'bottom';
  for (let i = 0; i < depth; i++) value = make(value);
  return value;
}

/** One malformed value; sizes stay bounded (the largest is about 200 KB of JSON). */
export function nastyValue(rng: Random): Value {
  switch (rng.int(0, 11)) {
    case 0:
    case 1:
      return rng.pick(NASTY_STRINGS);
    case 2:
    case 3:
      return rng.pick(NASTY_TIMESTAMPS);
    case 4:
      return rng.pick(NASTY_DATES)();
    case 5:
      return rng.pick(NASTY_NUMBERS);
    case 6:
      return rng.pick(SPECIALS)();
    case 7:
      return rng.pick([true, false, null]);
    case 8:
      return rng.pick<() => Value>([
        () => ({}),
        () => [],
        () => [[]],
        () => deep(rng.pick([10, 63, 64, 65, 200]), (inner) => ({ a: inner })),
        () => deep(rng.pick([10, 65, 300]), (inner) => [inner]),
        () => Array.from({ length: rng.pick([1_001, 10_001]) }, () => 'x'),
        () => objectWith(Array.from({ length: 600 }, (_, i) => [`k${i}`, i])),
        () => objectWith([[rng.pick(['__proto__', 'constructor', 'prototype']), { polluted: true }]]),
      ])();
    case 9:
      return rng.string(rng.int(1, 40), 'abcXYZ019_-.:@/ \u0000\ud800"\\,\n');
    case 10:
      return 'x'.repeat(rng.pick([10_000, 100_001]));
    default:
      return rng.int(-1_000_000, 1_000_000);
  }
}

/** A key to add: reserved names, keys PostgreSQL cannot store, and ordinary unknown ones. */
export function nastyKey(rng: Random): string {
  return rng.pick([
    '__proto__',
    'constructor',
    'prototype',
    'a\u0000b',
    '\ud800',
    '',
    'unknownField',
    'a.b',
    'a\\b',
    'x'.repeat(300),
    'toString',
    '$where',
  ]);
}

type Step = string | number;

/** Every path in a tree (the root is []), containers and leaves. */
function paths(value: Value, prefix: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(prefix);
  if (out.length > 2_000) return out;
  if (Array.isArray(value)) {
    for (const [i, v] of value.slice(0, 20).entries()) paths(v, [...prefix, i], out);
  } else if (isRecord(value)) for (const k of Object.keys(value)) paths(value[k], [...prefix, k], out);
  return out;
}

function at(root: Value, path: readonly Step[]): Value {
  let node = root;
  for (const step of path) node = (node as Record<string | number, Value>)[step];
  return node;
}

function setAt(root: { v: Value }, path: readonly Step[], value: Value): void {
  if (path.length === 0) {
    root.v = value;
    return;
  }
  const parent = at(root.v, path.slice(0, -1)) as Record<string | number, Value>;
  Object.defineProperty(parent, path[path.length - 1] as string | number, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The length of a tree's JSON, a Date or Special counted as 30 characters; Infinity past 64 MB. */
export function encodedLength(value: Value): number {
  let total = 0;
  const walk = (node: Value): void => {
    if (total > 64_000_000) return;
    if (typeof node === 'string') total += node.length + 2;
    else if (Array.isArray(node)) for (const v of node) walk(v);
    else if (isRecord(node))
      for (const k of Object.keys(node)) {
        total += k.length + 4;
        walk(node[k]);
      }
    else total += 30;
  };
  walk(value);
  return total > 64_000_000 ? Number.POSITIVE_INFINITY : total;
}

/** Applies one to three mutations to a copy of `seed`. */
export function mutate(seed: Value, rng: Random): Value {
  const holder = { v: clone(seed) };
  const count = rng.int(1, 3);
  for (let n = 0; n < count; n++) {
    const all = paths(holder.v);
    const path = rng.pick(all);
    const node = at(holder.v, path);
    const op = rng.int(0, 9);
    if (op <= 4) {
      setAt(holder, path, nastyValue(rng));
    } else if (op === 5 && path.length > 0) {
      const parent = at(holder.v, path.slice(0, -1));
      const last = path[path.length - 1] as string | number;
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete (parent as Record<string, Value>)[last];
    } else if (op === 6 && isRecord(node)) {
      setAt(holder, [...path, nastyKey(rng)], nastyValue(rng));
    } else if (op === 7 && Array.isArray(node) && node.length > 0) {
      // Past the limits: arrays a little longer than what is documented, but never more than about
      // 8 MB of JSON (the body limit is 16 MiB; the fuzzer must stay bounded itself).
      const elementBytes = Math.max(1, encodedLength(node) / node.length);
      const length = Math.min(rng.pick([1_001, 10_001, 100_001]), Math.floor(8_000_000 / elementBytes));
      const copies = Array.from({ length }, (_, i) => node[i % node.length]);
      setAt(holder, path, copies);
    } else if (op === 8) {
      setAt(holder, path, isRecord(node) ? Object.values(node) : Array.isArray(node) ? { ...node } : [node]);
    } else {
      setAt(holder, path, rng.chance(0.5) ? null : new Special(null, ['undefined']));
    }
  }
  return holder.v;
}
