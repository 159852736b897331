import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { deserializeInput, serializeAnswer, UnsafeAnswer } from './transformer.js';

// superjson itself is the reference: the shortcut must put the same bytes on the wire.
const wire = (value: unknown) => JSON.stringify(serializeAnswer(value));
const reference = (value: unknown) => JSON.stringify(superjson.serialize(value));

const shared = { z: 1 };
const sharedDate = new Date('2026-01-01T00:00:00Z');

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

const cases: [string, unknown][] = [
  ['plain object', { a: 1, b: 'two', c: true, d: null, e: [1, 2.5, -3], f: { g: [] } }],
  [
    'a features.get answer',
    {
      featureSet: { name: 'forecast_basic', version: 1 },
      columns: ['lag_1h', 'lag_24h'],
      vectors: [
        {
          entityId: 'm-1',
          asOf: new Date('2026-03-29T01:00:00Z'),
          values: [1.5, null],
          source: 'online',
          stale: false,
        },
        {
          entityId: 'm-2',
          asOf: new Date('2026-03-29T02:00:00Z'),
          values: [],
          source: 'offline',
          stale: true,
        },
      ],
    },
  ],
  ['Dates under keys with dots and backslashes', { 'a.b': { 'c\\d': new Date(0), 'e.': [new Date(1)] } }],
  ['an array at the root', [{ at: new Date(5) }, 'x', 3]],
  ['an object with no prototype', Object.assign(Object.create(null), { a: new Date(7), b: 2 })],
  ['undefined property', { a: undefined, b: 1 }],
  ['undefined in an array', [1, undefined]],
  // biome-ignore lint/suspicious/noSparseArray: the case under test
  ['a hole in an array', [1, , 3]],
  ['NaN', { a: Number.NaN }],
  ['Infinity', { a: [Number.POSITIVE_INFINITY] }],
  ['negative zero', { a: -0 }],
  ['bigint', { a: 10n }],
  ['Map and Set', { m: new Map([['k', 1]]), s: new Set([1]) }],
  ['a class instance', { p: new Point(1, 2) }],
  ['an invalid Date', { d: new Date(Number.NaN) }],
  ['one object referenced twice', { a: shared, b: shared }],
  ['one Date referenced twice', { a: sharedDate, b: [sharedDate] }],
  ['a RegExp and an Error', { r: /x/g, e: new Error('boom') }],
  ['a Date at the root', new Date(0)],
  ['a number at the root', 42],
  ['null at the root', null],
  ['undefined at the root', undefined],
  ['a string at the root', 'text'],
];

describe('serializeAnswer', () => {
  it.each(cases)('%s: the same wire bytes as superjson.serialize', (_, value) => {
    expect(wire(value)).toBe(reference(value));
  });

  it.each(cases)('%s: superjson reads back what was sent', (_, value) => {
    const read = superjson.deserialize(JSON.parse(wire(value)));
    expect(read).toEqual(superjson.deserialize(JSON.parse(reference(value))));
  });

  it('annotates every Date of a 100-vector answer and nothing else', () => {
    const vectors = Array.from({ length: 100 }, (_, i) => ({
      entityId: `m-${i}`,
      asOf: new Date(Date.UTC(2026, 0, 1, i % 24)),
      values: [i, i / 3, null],
    }));
    const result = serializeAnswer({ vectors });
    expect(Object.keys(result.meta?.values ?? {})).toEqual(vectors.map((_, i) => `vectors.${i}.asOf`));
    expect(JSON.stringify(result)).toBe(reference({ vectors }));
  });

  it('sends a stored key named constructor or prototype as plain JSON, where superjson refuses', () => {
    const metrics = JSON.parse('{"constructor": 0.5, "prototype": {"x": 1}, "mape": 1}');
    const answer = { items: [{ metrics, createdAt: new Date(0) }] };
    expect(() => superjson.serialize(answer)).toThrow(/prototype pollution/);
    const read = superjson.deserialize(JSON.parse(wire(answer))) as typeof answer;
    expect(read.items[0]?.createdAt).toEqual(new Date(0));
    expect(Object.keys(read.items[0]?.metrics ?? {})).toEqual(['constructor', 'prototype', 'mape']);
    expect(Object.getPrototypeOf(read.items[0]?.metrics)).toBe(Object.prototype);
  });

  it('refuses to send a value needing an annotation beneath such a key, or a __proto__ key', () => {
    expect(() => serializeAnswer({ constructor: { at: new Date(0) } })).toThrow(UnsafeAnswer);
    // superjson's client copies by assignment: a __proto__ key would become the object's prototype.
    expect(() => serializeAnswer(JSON.parse('{"m": {"__proto__": {"x": 1}}}'))).toThrow(UnsafeAnswer);
  });
});

describe('deserializeInput', () => {
  it('refuses a __proto__ key before superjson would turn it into a prototype', () => {
    expect(() => deserializeInput(JSON.parse('{"json": {"a": {"__proto__": {"polluted": 1}}}}'))).toThrow(
      "a.__proto__: '__proto__' is a reserved name",
    );
  });

  it('refuses a cycle made by a referential-equality annotation', () => {
    const payload = { json: { a: { b: 1 } }, meta: { referentialEqualities: { a: ['a.c'] }, v: 1 } };
    expect(() => deserializeInput(payload)).toThrow('must not refer to itself');
  });

  it('passes everything else to superjson', () => {
    const payload = superjson.serialize({ at: new Date(5), n: [1, 2] });
    expect(deserializeInput(JSON.parse(JSON.stringify(payload)))).toEqual({ at: new Date(5), n: [1, 2] });
  });
});
