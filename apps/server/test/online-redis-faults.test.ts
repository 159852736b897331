import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, seedHistory, waitFor } from './support/feature-data.js';
import { sample, scrape } from './support/metrics.js';
import { PrivateRedis } from './support/private-redis.js';

/*
 * Redis misbehaving in the ways a production Redis does: paused (accepts connections, never
 * answers), restarted empty, and hammered through an unauthenticated readiness batch. A private
 * redis-server on a free port, so the shared one is never touched.
 */

const REDIS_TIMEOUT_MS = 1_500;

describe('online serving against a misbehaving Redis', () => {
  let redis: PrivateRedis;
  let server: TestServer;
  let a: AihubClient;
  const set = { featureSet: 'forecast_basic', metric: 'kwh' };
  const query = { ...set, entityIds: ['m1', 'm2'] };
  let expected: (number | null)[][];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    server = await startTestServer({
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
      // Workers on: re-materialization after a restart is their job.
      AIHUB_WORKERS: 'true',
    });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    a = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'redis-faults' })).adminKey.token,
    });
    await seedHistory(a, currentHour(), 30);
    // The reference: the same vectors computed by the point-in-time offline path.
    const offline = await a.features.offline.query({
      ...set,
      spine: query.entityIds.map((entityId) => ({ entityId, asOf: new Date(currentHour()) })),
    });
    expected = offline.rows.map((row) => row.values);
    await a.features.materialize.mutate(set);
    const online = await a.features.get.query(query);
    expect(online.vectors.map((v) => v.source)).toEqual(['online', 'online']);
    expect(online.vectors.map((v) => v.values)).toEqual(expected);
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('a Redis that accepts but never answers: materialize fails in bounded time, reads fall back, nothing piles up', async () => {
    const fallbacksBefore =
      sample(await scrape(server.url), 'aihub_online_vectors_total', { outcome: 'fallback' }) ?? 0;
    await redis.pause();
    try {
      const started = performance.now();
      await expect(a.features.materialize.mutate(set)).rejects.toThrow(
        `Redis (no answer within ${REDIS_TIMEOUT_MS} ms) is unavailable`,
      );
      expect(performance.now() - started).toBeLessThan(REDIS_TIMEOUT_MS + 5_000);
      const [registration] = await a.features.materializations.query();
      expect(registration?.lastError).toBe(`Redis (no answer within ${REDIS_TIMEOUT_MS} ms) is unavailable`);

      // 150 reads while Redis is wedged (the probe's count): each answers, from PostgreSQL.
      for (let round = 0; round < 15; round++) {
        const answers = await Promise.all(Array.from({ length: 10 }, () => a.features.get.query(query)));
        for (const answer of answers) {
          expect(answer.vectors.map((v) => v.source)).toEqual(['offline', 'offline']);
          expect(answer.vectors.map((v) => v.values)).toEqual(expected);
        }
      }
      // 150 requests x 2 entities, every one a fallback; /metrics shows them while Redis is down.
      const during = await scrape(server.url);
      expect(sample(during, 'aihub_online_vectors_total', { outcome: 'fallback' })).toBe(
        fallbacksBefore + 300,
      );
      // Nothing waits longer than the timeout: the 300 reads' commands are gone, not queued (all
      // that may be pending is the handshake of the current reconnection attempt).
      await new Promise((resolve) => setTimeout(resolve, REDIS_TIMEOUT_MS + 500));
      const after = await scrape(server.url);
      expect(sample(after, 'aihub_redis_pending_commands')).toBeLessThanOrEqual(3);
      expect(sample(after, 'aihub_redis_connected')).toBe(0);
    } finally {
      await redis.resume();
    }
    // Answering again: the same process materializes and reads online, no restart.
    await waitFor(
      () =>
        a.features.materialize.mutate(set).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      15_000,
    );
    const back = await a.features.get.query(query);
    expect(back.vectors.map((v) => v.source)).toEqual(['online', 'online']);
    expect(back.vectors.map((v) => v.values)).toEqual(expected);
  });

  it('a Redis restarted empty in a quiet hour is re-materialized without anyone asking', async () => {
    // A quiet hour: no refresh pending, and no registration flagged for a rewrite (a materialize
    // call or a refresh flags it; the flag would make the next run rewrite it anyway).
    await waitFor(
      () => a.aggregates.status.query(),
      (status) => status.pendingBuckets === 0,
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    await db.query('UPDATE feature_materializations SET dirty = false');
    await db.end();
    const resetsBefore = sample(await scrape(server.url), 'aihub_online_store_resets_total') ?? 0;
    expect((await a.features.get.query(query)).vectors.map((v) => v.source)).toEqual(['online', 'online']);
    await redis.stop();
    await redis.start();
    expect(await redis.cli('dbsize')).toBe('0');
    // No ingest, no materialize call, no hour change: the server notices the empty store itself.
    const started = Date.now();
    const back = await waitFor(
      () => a.features.get.query(query),
      (answer) => answer.vectors.every((v) => v.source === 'online'),
      20_000,
    );
    expect(back.vectors.map((v) => v.values)).toEqual(expected);
    expect(Date.now() - started).toBeLessThan(20_000);
    // The run counts the reset when it has finished, which may be just after its vectors are readable.
    const resets = await waitFor(
      async () => sample(await scrape(server.url), 'aihub_online_store_resets_total') ?? 0,
      (count) => count > resetsBefore,
      5_000,
    );
    expect(resets).toBe(resetsBefore + 1);
  });

  it('an unauthenticated readiness batch is bounded: 101 calls refused, 100 cost one round of checks', async () => {
    const calls = (n: number) => Array.from({ length: n }, () => 'health.ready').join(',');
    const tooMany = await fetch(`${server.url}/trpc/${calls(101)}?batch=1`);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await tooMany.json())).toContain(
      'Batch call exceeds maximum size: at most 100 calls per request',
    );

    // Let any cached readiness expire, then count the PINGs Redis executes (its own counter).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const pingsBefore = await redis.calls('ping');
    const atLimit = await fetch(`${server.url}/trpc/${calls(100)}?batch=1`);
    expect(atLimit.status).toBe(200);
    const answers = (await atLimit.json()) as { result: { data: { json: { ready: boolean } } } }[];
    expect(answers).toHaveLength(100);
    expect(answers.every((answer) => answer.result.data.json.ready)).toBe(true);
    expect(await redis.calls('ping')).toBe(pingsBefore + 1);
    // Within the second the cached answer serves /readyz too; after it, one new round.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await redis.calls('ping')).toBe(pingsBefore + 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await redis.calls('ping')).toBe(pingsBefore + 2);
  });
});
