import { describe, expect, it } from 'vitest';
import { prefetch } from './prefetch.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('prefetch', () => {
  it('yields every item of the source in order', async () => {
    async function* source() {
      yield 1;
      yield 2;
      yield 3;
    }
    const seen: number[] = [];
    for await (const item of prefetch(source())) seen.push(item);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('reads the next item while the consumer is busy with the current one', async () => {
    const events: string[] = [];
    async function* source() {
      events.push('read 1');
      yield 1;
      events.push('read 2');
      yield 2;
    }
    for await (const item of prefetch(source())) {
      await tick();
      events.push(`consumed ${item}`);
    }
    expect(events).toEqual(['read 1', 'read 2', 'consumed 1', 'consumed 2']);
  });

  it('a read ahead that fails while the consumer is busy is an error of the loop, not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* source() {
        yield 1;
        throw new Error('connection lost');
      }
      const consumed: number[] = [];
      const loop = (async () => {
        for await (const item of prefetch(source())) {
          // The failing read settles during these turns, before the loop awaits it.
          for (let i = 0; i < 5; i++) await tick();
          consumed.push(item);
        }
      })();
      await expect(loop).rejects.toThrow('connection lost');
      await tick();
      expect(consumed).toEqual([1]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        closed = true;
      }
    }
    for await (const item of prefetch(source())) if (item === 1) break;
    expect(closed).toBe(true);
  });
});
