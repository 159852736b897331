import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAihubClient } from '../src/client.js';
import { type FaultProxy, startFaultProxy, startTestServer, type TestServer } from '../src/testing.js';

/*
 * Revocation during a database partition that hangs rather than drops: the server reaches
 * PostgreSQL through a fault proxy of this test's own, which stops forwarding while every
 * connection stays open, so the key cache's LISTEN connection neither errors nor ends. The key is
 * revoked behind the server's back (another process, an operator's psql) while it is cut off.
 */

describe('API key revocation during a hanging database partition', () => {
  let proxy: FaultProxy;
  let server: TestServer & { databaseUrl: string };

  beforeAll(async () => {
    const shared = new URL(process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:55432');
    proxy = await startFaultProxy({ host: shared.hostname, port: Number(shared.port) });
    server = await startTestServer(
      { AIHUB_WORKERS: 'false', AUTH_CACHE_TTL_SECONDS: '30' },
      { databaseUrl: (url) => proxy.rewriteUrl(url) },
    );
  });
  afterAll(async () => {
    proxy?.resume();
    await server?.stop();
    await proxy?.close();
  });

  it('a cached key revoked while the LISTEN connection hangs is not accepted once the heartbeat lapses', async () => {
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const project = await root.projects.create.mutate({ name: 'partitioned' });
    const token = project.adminKey.token;
    const client = createAihubClient({ url: server.url, apiKey: token });
    // Seen twice: the key is in this process's cache.
    expect((await client.auth.whoami.query()).keyName).toBe('initial-admin');
    expect((await client.auth.whoami.query()).keyName).toBe('initial-admin');

    proxy.pause();
    const direct = new pg.Client({ connectionString: server.databaseUrl });
    await direct.connect();
    await direct.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [project.adminKey.id]);
    await direct.end();
    // The cache stops trusting itself within 2 heartbeats (2 s) of its last proof of life.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const attempt = client.auth.whoami.query().then(
      () => 'accepted' as const,
      (error: unknown) => error,
    );
    const early = await Promise.race([
      attempt,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
    ]);
    // Not served from the cache: the process asks PostgreSQL, which it cannot reach yet.
    expect(early).toBe('still waiting');
    proxy.resume();
    const outcome = await attempt;
    expect(outcome).not.toBe('accepted');
    expect(String(outcome)).toMatch(/Invalid or revoked API key/);

    // Once the connection is back the cache is trusted again; the root key still works.
    expect((await root.auth.whoami.query()).keyName).toBe('bootstrap-admin');
  });
});
