import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { assertSafeInput, findInputProblems, MAX_INPUT_DEPTH } from './input-safety.js';

describe('findInputProblems', () => {
  it('accepts ordinary inputs, emoji and all', () => {
    expect(findInputProblems({ name: 'm', tags: { team: 'grid 😀' }, list: [1, null, true] })).toBeNull();
    expect(findInputProblems(undefined)).toBeNull();
  });

  it('names each string PostgreSQL cannot store by its path', () => {
    expect(
      findInputProblems({ description: 'a\u0000b', tags: { k: 'ok' }, items: ['x', 'y\ud800'] }),
    ).toEqual({
      description: ['must not contain NUL (U+0000) characters'],
      'items.1': ['must be valid Unicode (it contains a lone surrogate half)'],
    });
    // A surrogate pair is fine; its halves alone, in either order, are not.
    expect(findInputProblems('\ud83d\ude00')).toBeNull();
    expect(findInputProblems('\ude00\ud83d')).not.toBeNull();
  });

  it('refuses the reserved keys at any depth, and keys that cannot be stored', () => {
    const input = JSON.parse(
      '{"metrics": {"constructor": 1}, "metadata": {"a": {"__proto__": {"x": 1}}}, "p": {"prototype": 2, "k\\u0000": 3}}',
    );
    expect(Object.keys(findInputProblems(input) ?? {}).sort()).toEqual([
      'metadata.a.__proto__',
      'metrics.constructor',
      'p.k\\u0000',
      'p.prototype',
    ]);
  });

  it('names a reserved key at the top so that the name survives in an answer', () => {
    expect(findInputProblems(JSON.parse('{"__proto__": 1}'))).toEqual({
      '["__proto__"]': ["'__proto__' is a reserved name, not accepted as a key"],
    });
  });

  it('refuses inputs nested deeper than the limit, at the limit accepted', () => {
    const nest = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = { a: value };
      return value;
    };
    expect(findInputProblems(nest(MAX_INPUT_DEPTH))).toBeNull();
    const fields = findInputProblems(nest(MAX_INPUT_DEPTH + 1));
    expect(Object.values(fields ?? {})).toEqual([[`must not nest deeper than ${MAX_INPUT_DEPTH} levels`]]);
  });

  it('refuses an input that refers to itself and counts shared references each time', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(findInputProblems(cycle)).toEqual({ self: ['must not refer to itself'] });
    // 2^40 values through shared references, in 40 small objects.
    let shared: unknown = 'x';
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    expect(Object.values(findInputProblems(shared) ?? {})[0]?.[0]).toMatch(/^must have at most/);
    // Shared but small (the same Date for every spine row) is fine.
    const asOf = new Date();
    expect(
      findInputProblems(Array.from({ length: 10_000 }, (_, i) => ({ entityId: `e${i}`, asOf }))),
    ).toBeNull();
  });

  it('throws a BAD_REQUEST whose message names the fields', () => {
    expect(() => assertSafeInput({ comment: '\u0000' })).toThrow(DomainError);
    expect(() => assertSafeInput({ comment: '\u0000' })).toThrow(
      'Invalid input: comment: must not contain NUL (U+0000) characters',
    );
  });
});
