import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, seedHistory, waitFor } from './support/feature-data.js';
import { PrivateRedis } from './support/private-redis.js';

/*
 * Redis going away mid-test. This file starts its own private redis-server on a free port (the
 * shared one on 56379 serves other test files concurrently and is never stopped).
 */

describe('online serving while Redis is down', () => {
  let redis: PrivateRedis;
  let server: TestServer;
  let a: AihubClient;
  const query = { featureSet: 'forecast_advanced', metric: 'kwh', entityIds: ['m1', 'm2'] };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    server = await startTestServer({
      REDIS_URL: redis.url,
      AIHUB_WORKERS: 'false',
      ONLINE_FRESHNESS_SECONDS: '1',
    });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    a = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'redis-down' })).adminKey.token,
    });
    await seedHistory(a, currentHour(), 48);
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('answers from PostgreSQL while Redis is down, then serves online again once it is back', async () => {
    await a.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' });
    const online = await a.features.get.query(query);
    expect(online.vectors.map((v) => v.source)).toEqual(['online', 'online']);
    const askedAt = Date.now();
    // ONLINE_FRESHNESS_SECONDS=1: a vector for the current hour is stale a second into the hour.
    if (askedAt - (online.vectors[0]?.asOf.getTime() ?? 0) > 2_000)
      expect(online.vectors[0]?.stale).toBe(true);

    await redis.stop();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const fallback = await a.features.get.query(query);
      expect(fallback.vectors.map((v) => v.source)).toEqual(['offline', 'offline']);
      expect(fallback.vectors.map((v) => v.values)).toEqual(online.vectors.map((v) => v.values));
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    // Materializing needs Redis: it says so instead of pretending.
    await expect(
      a.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' }),
    ).rejects.toThrow(/Redis is unavailable/);

    await redis.start();
    // The restarted Redis is empty (no persistence): reads stay correct from PostgreSQL until the
    // vectors are written again; the same server process then reads them online, no restart.
    await waitFor(
      () =>
        a.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' }).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      15_000,
    );
    const back = await a.features.get.query(query);
    expect(back.vectors.map((v) => v.source)).toEqual(['online', 'online']);
    expect(back.vectors.map((v) => v.values)).toEqual(online.vectors.map((v) => v.values));
  });
});
