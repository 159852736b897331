import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisOnlineStore } from '../src/online/redis-online-store.js';

/*
 * The online read's timeout on a busy process (the shared Redis, keys of a random project id so
 * nothing collides): an answer that arrived while the event loop was blocked past the timeout is
 * used, not thrown away for a PostgreSQL fallback.
 */

describe('online read timeout on a busy event loop', () => {
  let redis: Redis;
  const key = { projectId: crypto.randomUUID(), featureSet: 'probe', version: 1, metric: 'kwh' };

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:56379', { enableOfflineQueue: false });
    await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('keeps an answer that arrived while the loop was blocked past the timeout', async () => {
    const store = new RedisOnlineStore(redis);
    const asOf = new Date(Date.UTC(2026, 10, 28, 9));
    await store.write(key, ['a', 'b'], [{ entityId: 'e1', asOf, values: [1.5, null] }], 60);
    const reading = store.read(key, ['a', 'b'], ['e1', 'e2'], 20);
    // Block the event loop well past the 20 ms timeout; Redis answers in the meantime.
    const until = performance.now() + 500;
    while (performance.now() < until) {}
    expect(await reading).toEqual([{ entityId: 'e1', asOf, values: [1.5, null] }, null]);
  });
});
