import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';

describe('health', () => {
  let healthy: TestServer;
  let broken: TestServer;

  beforeAll(async () => {
    healthy = await startTestServer();
    // Same PostgreSQL, but Redis and object storage pointed at ports where nothing listens.
    broken = await startTestServer({ REDIS_URL: 'redis://127.0.0.1:1', S3_ENDPOINT: 'http://127.0.0.1:1' });
  });
  afterAll(async () => {
    await healthy?.stop();
    await broken?.stop();
  });

  it('reports PostgreSQL, Redis and object storage each reachable, with latency', async () => {
    const readiness = await createAihubClient({ url: healthy.url }).health.ready.query();
    expect(readiness.checks).toMatchObject({
      postgres: { ok: true },
      redis: { ok: true },
      objectStorage: { ok: true },
    });
    expect(readiness.ready).toBe(true);
    expect(Object.keys(readiness.checks).sort()).toEqual(['objectStorage', 'postgres', 'redis']);
    for (const check of Object.values(readiness.checks)) {
      expect(check.ok).toBe(true);
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
      expect(check.error).toBeNull();
    }
    const res = await fetch(`${healthy.url}/readyz`);
    expect(res.status).toBe(200);
  });

  it('says which dependency failed when not ready, and /readyz answers 503', async () => {
    const readiness = await createAihubClient({ url: broken.url }).health.ready.query();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.postgres?.ok).toBe(true);
    expect(readiness.checks.redis?.ok).toBe(false);
    expect(readiness.checks.redis?.error).toBeTruthy();
    expect(readiness.checks.objectStorage?.ok).toBe(false);
    const res = await fetch(`${broken.url}/readyz`);
    expect(res.status).toBe(503);
    // Liveness is about the process only.
    expect((await fetch(`${broken.url}/livez`)).status).toBe(200);
  });
});
