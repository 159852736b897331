import type { ModelVersionRef } from '@aihub/core';
import { PgModelRegistryRepository } from '@aihub/db';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { type FaultProxy, startFaultProxy } from '../src/fault-proxy.js';
import { ModelAnnouncements } from '../src/predictions/model-announcements.js';
import { VersionResolution } from '../src/predictions/version-resolution.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { registerModel } from './models-support.js';

/*
 * The resolution cache predict uses (version-resolution.ts), driven here against the real
 * registry: changes are made through a running server (its own connections), and this process
 * resolves references the way every server process does — its LISTEN connection going through a
 * fault proxy, so that a partition can be made.
 */

const BARRIER_TIMEOUT_MS = 300;

describe('model references resolved from a per-process cache, never across a committed change', () => {
  let server: TestServer & { databaseUrl: string };
  let api: AihubClient;
  let pool: pg.Pool;
  let proxy: FaultProxy;
  let announcements: ModelAnnouncements;
  let versions: VersionResolution;
  let projectId: string;
  let key: string;

  const production = (name: string): ModelVersionRef => ({ name, stage: 'production' });
  const resolveId = async (ref: ModelVersionRef) => (await versions.resolve(projectId, ref)).id;

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    key = (await root.projects.create.mutate({ name: 'resolution' })).adminKey.token;
    api = createAihubClient({ url: server.url, apiKey: key });
    pool = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
    projectId = (await pool.query<{ id: string }>(`SELECT id FROM projects WHERE name = 'resolution'`))
      .rows[0]?.id as string;
    const registry = new PgModelRegistryRepository(pool);
    const target = new URL(server.databaseUrl);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    announcements = new ModelAnnouncements(
      proxy.rewriteUrl(server.databaseUrl),
      async () => {},
      pino({ level: 'silent' }),
      (changed) => versions.changed(changed),
    );
    versions = new VersionResolution(
      (timeoutMs) => announcements.barrier(timeoutMs),
      (project, ref) => registry.get(project, ref),
      { barrierTimeoutMs: BARRIER_TIMEOUT_MS },
    );
    await announcements.start();
  });
  afterAll(async () => {
    await announcements?.stop();
    await proxy?.close();
    await pool?.end();
    await server?.stop();
  });

  it('answers repeated resolutions from the cache, and none started after a promotion committed with the replaced version', async () => {
    const v1 = await registerModel(api, server.url, key, { name: 'race', seed: 1 });
    const v2 = await registerModel(api, server.url, key, { name: 'race', seed: 2 });
    await api.models.promote.mutate({ id: v1.id, to: 'production' });
    expect(await resolveId(production('race'))).toBe(v1.id);
    const cachedBefore = versions.counts.cached;
    expect(await resolveId(production('race'))).toBe(v1.id);
    expect(versions.counts.cached).toBe(cachedBefore + 1);

    const answers: { startedAt: number; id: string }[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const startedAt = performance.now();
        answers.push({ startedAt, id: await resolveId(production('race')) });
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const cachedAtPromotion = versions.counts.cached;
    await api.models.promote.mutate({ id: v2.id, to: 'production' });
    const committedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(workers);

    const after = answers.filter((a) => a.startedAt > committedAt);
    expect(answers.filter((a) => a.startedAt < committedAt && a.id === v1.id).length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((a) => a.id !== v2.id)).toEqual([]);
    // Served from the cache before the promotion and again after it (not one query per call).
    expect(cachedAtPromotion - cachedBefore).toBeGreaterThan(10);
    expect(versions.counts.cached - cachedAtPromotion).toBeGreaterThan(10);
  });

  it('sees every kind of change on the next resolution: an alias moved, a version archived, a version deleted', async () => {
    const a = await registerModel(api, server.url, key, { name: 'changes', seed: 3 });
    const b = await registerModel(api, server.url, key, { name: 'changes', seed: 4 });
    await api.models.setAlias.mutate({ id: a.id, alias: 'champion' });
    await api.models.promote.mutate({ id: b.id, to: 'production' });
    const champion = { name: 'changes', alias: 'champion' };
    // Twice each: the second is cached.
    for (let i = 0; i < 2; i++) {
      expect(await resolveId(champion)).toBe(a.id);
      expect(await resolveId(production('changes'))).toBe(b.id);
      expect((await versions.resolve(projectId, { name: 'changes', version: 1 })).stage).toBe('staging');
    }

    await api.models.setAlias.mutate({ id: b.id, alias: 'champion' });
    expect(await resolveId(champion)).toBe(b.id);

    await api.models.promote.mutate({ id: a.id, to: 'production' });
    // The version returned is current too, not only which one: v1's stage changed.
    expect((await versions.resolve(projectId, { name: 'changes', version: 1 })).stage).toBe('production');
    await api.models.promote.mutate({ id: a.id, to: 'archived' });
    await expect(versions.resolve(projectId, production('changes'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    await api.models.delete.mutate({ id: b.id, force: true });
    await expect(versions.resolve(projectId, champion)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('during a partition of its LISTEN connection, reads the registry itself: a promotion is still never missed', async () => {
    const v1 = await registerModel(api, server.url, key, { name: 'partition', seed: 5 });
    const v2 = await registerModel(api, server.url, key, { name: 'partition', seed: 6 });
    await api.models.promote.mutate({ id: v1.id, to: 'production' });
    expect(await resolveId(production('partition'))).toBe(v1.id);
    expect(await resolveId(production('partition'))).toBe(v1.id);

    proxy.pause();
    try {
      await api.models.promote.mutate({ id: v2.id, to: 'production' });
      const loaded = versions.counts.loaded;
      const started = performance.now();
      expect(await resolveId(production('partition'))).toBe(v2.id);
      expect(versions.counts.loaded).toBe(loaded + 1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(BARRIER_TIMEOUT_MS - 5);
    } finally {
      proxy.resume();
    }
  });
});
