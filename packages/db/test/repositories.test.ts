import { DomainError } from '@aihub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db, PrismaApiKeyRepository, PrismaProjectRepository } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

describe('project and API key repositories (real PostgreSQL)', () => {
  let testDb: TestDatabase;
  let db: Db;
  let projects: PrismaProjectRepository;
  let keys: PrismaApiKeyRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = createDb({ url: testDb.url });
    projects = new PrismaProjectRepository(db.prisma);
    keys = new PrismaApiKeyRepository(db.prisma, db.pool);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('creates exactly one root project when many start-ups race', async () => {
    const roots = await Promise.all(Array.from({ length: 8 }, () => projects.ensureRoot('ops')));
    expect(new Set(roots.map((r) => r.id)).size).toBe(1);
    expect(roots[0]).toMatchObject({ name: 'ops', isRoot: true });
  });

  it('rejects a duplicate project name with CONFLICT', async () => {
    await projects.create({ name: 'energy', description: null });
    const error = await projects.create({ name: 'energy', description: 'again' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('CONFLICT');
  });

  it('finds a key by hash only while it is not revoked, and revokes only within its own project', async () => {
    const a = await projects.create({ name: 'tenant-a', description: null });
    const b = await projects.create({ name: 'tenant-b', description: null });
    const key = await keys.create({
      projectId: a.id,
      name: 'ci',
      role: 'writer',
      prefix: 'aihub_abcdefgh',
      hash: 'h-1',
    });
    expect((await keys.findActiveByHash('h-1'))?.project.name).toBe('tenant-a');

    const wrongProject = await keys.revoke(b.id, key.id).catch((e: unknown) => e);
    expect((wrongProject as DomainError).code).toBe('NOT_FOUND');
    expect(await keys.findActiveByHash('h-1')).not.toBeNull();

    const revoked = await keys.revoke(a.id, key.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await keys.findActiveByHash('h-1')).toBeNull();
    const again = await keys.revoke(a.id, key.id);
    expect(again.revokedAt?.getTime()).toBe(revoked.revokedAt?.getTime());
    expect(await keys.list(a.id)).toEqual([]);
    expect((await keys.list(a.id, { includeRevoked: true })).map((k) => k.id)).toEqual([key.id]);
  });

  it('ensure() never resurrects a revoked key', async () => {
    const root = await projects.ensureRoot('ops');
    const input = {
      projectId: root.id,
      name: 'bootstrap',
      role: 'admin' as const,
      prefix: 'aihub_zzzzzzzz',
      hash: 'h-boot',
    };
    const first = await keys.ensure(input);
    await keys.revoke(root.id, first.id);
    const second = await keys.ensure(input);
    expect(second.id).toBe(first.id);
    expect(second.revokedAt).not.toBeNull();
    expect(await keys.findActiveByHash('h-boot')).toBeNull();
  });

  it('reports PostgreSQL being unreachable as UNAVAILABLE', async () => {
    const dead = createDb({ url: 'postgresql://aihub:aihub@127.0.0.1:1/aihub' });
    try {
      const error = await new PrismaProjectRepository(dead.prisma).list().catch((e: unknown) => e);
      expect((error as DomainError).code).toBe('UNAVAILABLE');
    } finally {
      await dead.close();
    }
  });
});
