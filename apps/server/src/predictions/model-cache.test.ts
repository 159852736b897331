import type { ModelVersion } from '@aihub/core';
import { describe, expect, it } from 'vitest';
import { type LoadedModel, ModelCache } from './model-cache.js';
import type { ServingSpec } from './serving-spec.js';

/* The cache's bookkeeping with a loader that counts: no ONNX, no storage (pure logic). */

const version = (id: string, sizeBytes: number) => ({ id, sizeBytes }) as unknown as ModelVersion;

function counting(delayMs = 0) {
  const loaded: string[] = [];
  const released: string[] = [];
  const load = async (v: ModelVersion): Promise<LoadedModel> => {
    loaded.push(v.id);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return {
      version: v,
      spec: {} as ServingSpec,
      sizeBytes: v.sizeBytes as number,
      session: {
        signature: { inputs: [], outputs: [] },
        run: async () => [],
        release: async () => void released.push(v.id),
      },
    };
  };
  return { loaded, released, load };
}

describe('ModelCache', () => {
  it('loads a version once however many requests ask for it at the same time', async () => {
    const { loaded, load } = counting(20);
    const cache = new ModelCache(1000, load);
    const v = version('a', 100);
    const ids = await Promise.all(Array.from({ length: 25 }, () => cache.use(v, async (m) => m.version.id)));
    expect(ids).toEqual(Array(25).fill('a'));
    expect(loaded).toEqual(['a']);
    await cache.use(v, async () => undefined);
    expect(loaded).toEqual(['a']);
  });

  it('keeps at most maxBytes of artifacts, evicting the least recently used', async () => {
    const { loaded, released, load } = counting();
    const cache = new ModelCache(250, load);
    await cache.warm(version('a', 100));
    await cache.warm(version('b', 100));
    await cache.use(version('a', 100), async () => undefined); // a is now the most recent
    await cache.warm(version('c', 100)); // 300 > 250: b goes
    expect(cache.size).toEqual({ models: 2, bytes: 200 });
    expect(cache.has('b')).toBe(false);
    expect(released).toEqual(['b']);
    await cache.warm(version('b', 100));
    expect(loaded).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.has('a')).toBe(false); // a was least recent after c
    // Exactly at the limit nothing goes.
    const exact = new ModelCache(200, counting().load);
    await exact.warm(version('x', 100));
    await exact.warm(version('y', 100));
    expect(exact.size).toEqual({ models: 2, bytes: 200 });
  });

  it('releases an evicted session only after the run using it ends; never keeps one larger than the cache', async () => {
    const { released, load } = counting();
    const cache = new ModelCache(150, load);
    let finish = () => {};
    const running = cache.use(version('a', 100), () => new Promise<void>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await cache.warm(version('b', 100)); // evicts a while it runs
    expect(cache.has('a')).toBe(false);
    expect(released).toEqual([]);
    finish();
    await running;
    expect(released).toEqual(['a']);
    const big = await cache.use(version('huge', 151), async (m) => m.sizeBytes);
    expect(big).toBe(151);
    expect(cache.has('huge')).toBe(false);
    expect(released).toEqual(['a', 'huge']);
  });

  it('a failed load is not cached: the next request loads again', async () => {
    let attempts = 0;
    const cache = new ModelCache(1000, async (v) => {
      attempts++;
      if (attempts === 1) throw new Error('storage down');
      return counting().load(v);
    });
    await expect(cache.warm(version('a', 1))).rejects.toThrow('storage down');
    await cache.warm(version('a', 1));
    expect(attempts).toBe(2);
  });
});
