import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActiveKey,
  ApiKeyCache,
  createDb,
  type Db,
  PrismaApiKeyRepository,
  PrismaProjectRepository,
} from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

/** Polls `check` until it holds or `ms` pass; returns whether it held. */
async function eventually(check: () => Promise<boolean> | boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('API key cache (real PostgreSQL, LISTEN/NOTIFY)', () => {
  let testDb: TestDatabase;
  let db: Db;
  // Another server process, or an operator with psql: changes keys behind this process's back.
  let other: Db;
  let cache: ApiKeyCache;
  let keys: PrismaApiKeyRepository;
  let projectId: string;
  let loads = 0;
  let counted: PrismaApiKeyRepository;
  let hashCounter = 0;

  async function newKey(role: 'reader' | 'writer' = 'reader') {
    const hash = `hash-${++hashCounter}`;
    const key = await keys.create({
      projectId,
      name: `k${hashCounter}`,
      role,
      prefix: 'aihub_testtest',
      hash,
    });
    return { key, hash };
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = createDb({ url: testDb.url });
    other = createDb({ url: testDb.url });
    cache = new ApiKeyCache({ url: testDb.url, ttlMs: 60_000 });
    await cache.start();
    keys = new PrismaApiKeyRepository(db.prisma, db.pool, cache);
    // The same repository, with its database reads counted: a cache hit does not read.
    const uncached = new PrismaApiKeyRepository(db.prisma, db.pool);
    counted = new PrismaApiKeyRepository(db.prisma, db.pool, cache);
    const load = (hash: string) => {
      loads++;
      return uncached.findActiveByHash(hash);
    };
    counted.findActiveByHash = (hash: string) => cache.lookup(hash, () => load(hash));
    projectId = (await new PrismaProjectRepository(db.prisma).create({ name: 'cached', description: null }))
      .id;
  });
  afterAll(async () => {
    await cache.stop();
    await other.close();
    await db.close();
    await testDb.drop();
  });

  it('answers a key it has seen without reading the database again; unknown keys are never cached', async () => {
    expect(cache.isListening).toBe(true);
    const { hash } = await newKey();
    loads = 0;
    expect((await counted.findActiveByHash(hash))?.key.role).toBe('reader');
    expect((await counted.findActiveByHash(hash))?.project.name).toBe('cached');
    expect(loads).toBe(1);
    expect(await counted.findActiveByHash('no-such-hash')).toBeNull();
    expect(await counted.findActiveByHash('no-such-hash')).toBeNull();
    expect(loads).toBe(3);
  });

  it('a key revoked by this process is refused by the very next lookup', async () => {
    const { key, hash } = await newKey();
    expect(await keys.findActiveByHash(hash)).not.toBeNull();
    await keys.revoke(projectId, key.id);
    expect(await keys.findActiveByHash(hash)).toBeNull();
  });

  it('a key revoked, demoted or deleted by another process is dropped as soon as the change commits', async () => {
    const revoked = await newKey();
    const demoted = await newKey('writer');
    const deleted = await newKey();
    for (const k of [revoked, demoted, deleted]) expect(await keys.findActiveByHash(k.hash)).not.toBeNull();

    await other.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.key.id]);
    await other.pool.query(`UPDATE api_keys SET role = 'reader' WHERE id = $1`, [demoted.key.id]);
    await other.pool.query('DELETE FROM api_keys WHERE id = $1', [deleted.key.id]);

    expect(await eventually(async () => (await keys.findActiveByHash(revoked.hash)) === null)).toBe(true);
    expect(
      await eventually(async () => (await keys.findActiveByHash(demoted.hash))?.key.role === 'reader'),
    ).toBe(true);
    expect(await eventually(async () => (await keys.findActiveByHash(deleted.hash)) === null)).toBe(true);
  });

  it('a renamed project is seen under its new name', async () => {
    const { hash } = await newKey();
    expect((await keys.findActiveByHash(hash))?.project.name).toBe('cached');
    await other.pool.query(`UPDATE projects SET name = 'renamed' WHERE id = $1`, [projectId]);
    try {
      expect(
        await eventually(async () => (await keys.findActiveByHash(hash))?.project.name === 'renamed'),
      ).toBe(true);
    } finally {
      await other.pool.query(`UPDATE projects SET name = 'cached' WHERE id = $1`, [projectId]);
    }
  });

  it('recording a use does not evict the key, and updates the cached lastUsedAt', async () => {
    const { key, hash } = await newKey();
    loads = 0;
    await counted.findActiveByHash(hash);
    const at = new Date('2026-11-26T12:00:00.000Z');
    await counted.markUsed(key.id, at);
    await new Promise((resolve) => setTimeout(resolve, 100)); // an announcement would have arrived by now
    expect((await counted.findActiveByHash(hash))?.key.lastUsedAt?.toISOString()).toBe(at.toISOString());
    expect(loads).toBe(1);
  });

  it('does not cache what a lookup read before a change it raced with', async () => {
    const { key, hash } = await newKey();
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = (await keys.findActiveByHash(hash)) as ActiveKey;
    cache.forgetKey(key.id);
    // A lookup that read the key as active, and answers only after the key was revoked.
    const racing = cache.lookup(hash, async () => {
      await gate;
      return before;
    });
    await keys.revoke(projectId, key.id);
    release?.();
    expect(await racing).not.toBeNull(); // it answers what it read...
    expect(await keys.findActiveByHash(hash)).toBeNull(); // ...but did not keep it
  });

  it('while its connection is down it caches nothing (every lookup reads the database), then resumes', async () => {
    const { key, hash } = await newKey();
    await keys.findActiveByHash(hash);
    await other.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'aihub-key-cache' AND datname = current_database()`,
    );
    expect(await eventually(() => !cache.isListening, 2_000)).toBe(true);
    // Changed while nobody listens: no announcement reaches this process, yet the change is seen.
    await other.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [key.id]);
    expect(await keys.findActiveByHash(hash)).toBeNull();

    expect(await eventually(() => cache.isListening, 5_000)).toBe(true);
    const fresh = await newKey();
    loads = 0;
    await counted.findActiveByHash(fresh.hash);
    await counted.findActiveByHash(fresh.hash);
    expect(loads).toBe(1);
  });
});
