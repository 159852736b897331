import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';

/** The tRPC error code a call failed with (or 'OK' if it succeeded). */
async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { code: string }).code;
    throw error;
  }
}

describe('API keys, roles and tenancy', () => {
  let server: TestServer;
  let root: AihubClient;
  // Project A with one key per role, project B with an admin key.
  let aAdmin: AihubClient;
  let aWriter: AihubClient;
  let aReader: AihubClient;
  let bAdmin: AihubClient;
  let bReaderKeyId: string;

  beforeAll(async () => {
    server = await startTestServer();
    root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const a = await root.projects.create.mutate({ name: 'plant-a', description: 'first tenant' });
    const b = await root.projects.create.mutate({ name: 'plant-b' });
    aAdmin = createAihubClient({ url: server.url, apiKey: a.adminKey.token });
    bAdmin = createAihubClient({ url: server.url, apiKey: b.adminKey.token });
    const writer = await aAdmin.keys.create.mutate({ name: 'pipeline', role: 'writer' });
    const reader = await aAdmin.keys.create.mutate({ name: 'dashboard', role: 'reader' });
    aWriter = createAihubClient({ url: server.url, apiKey: writer.token });
    aReader = createAihubClient({ url: server.url, apiKey: reader.token });
    bReaderKeyId = (await bAdmin.keys.create.mutate({ name: 'b-reader', role: 'reader' })).key.id;
  });
  afterAll(async () => server?.stop());

  it('rejects calls without a key, with a malformed header, or with an unknown key as UNAUTHORIZED', async () => {
    const anonymous = createAihubClient({ url: server.url });
    expect(await codeOf(anonymous.auth.whoami.query())).toBe('UNAUTHORIZED');
    expect(await codeOf(anonymous.projects.list.query())).toBe('UNAUTHORIZED');
    const res = await fetch(`${server.url}/trpc/auth.whoami`, { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    const unknown = createAihubClient({ url: server.url, apiKey: `aihub_00000000_${'x'.repeat(43)}` });
    expect(await codeOf(unknown.auth.whoami.query())).toBe('UNAUTHORIZED');
  });

  it('keeps health public', async () => {
    const anonymous = createAihubClient({ url: server.url });
    expect((await anonymous.health.live.query()).status).toBe('ok');
  });

  it('identifies each key', async () => {
    expect(await aReader.auth.whoami.query()).toMatchObject({
      keyName: 'dashboard',
      role: 'reader',
      project: { name: 'plant-a' },
    });
    expect(await root.auth.whoami.query()).toMatchObject({ role: 'admin', project: { isRoot: true } });
  });

  it('lets only admins manage keys: readers and writers get FORBIDDEN', async () => {
    expect(await codeOf(aReader.keys.create.mutate({ name: 'x', role: 'reader' }))).toBe('FORBIDDEN');
    expect(await codeOf(aWriter.keys.create.mutate({ name: 'x', role: 'reader' }))).toBe('FORBIDDEN');
    expect(await codeOf(aReader.keys.list.query())).toBe('FORBIDDEN');
    expect(await codeOf(aWriter.keys.revoke.mutate({ id: bReaderKeyId }))).toBe('FORBIDDEN');
  });

  it('lets only root admins create projects', async () => {
    expect(await codeOf(aAdmin.projects.create.mutate({ name: 'sneaky' }))).toBe('FORBIDDEN');
    expect(await codeOf(aReader.projects.create.mutate({ name: 'sneaky' }))).toBe('FORBIDDEN');
    expect((await root.projects.list.query()).map((p) => p.name)).not.toContain('sneaky');
  });

  it("never lets a key of project A see or change project B, even with B's ids", async () => {
    expect((await aAdmin.projects.list.query()).map((p) => p.name)).toEqual(['plant-a']);
    expect((await aReader.projects.list.query()).map((p) => p.name)).toEqual(['plant-a']);
    expect(await codeOf(aAdmin.keys.list.query({ project: 'plant-b' }))).toBe('FORBIDDEN');
    expect(await codeOf(aAdmin.keys.create.mutate({ project: 'plant-b', name: 'x', role: 'admin' }))).toBe(
      'FORBIDDEN',
    );
    // A's admin naming a project that does not exist learns nothing either.
    expect(await codeOf(aAdmin.keys.list.query({ project: 'no-such-project' }))).toBe('FORBIDDEN');
    // Guessing B's key id from within A: not found, and the key keeps working.
    expect(await codeOf(aAdmin.keys.revoke.mutate({ id: bReaderKeyId }))).toBe('NOT_FOUND');
    const bKeys = await bAdmin.keys.list.query();
    expect(bKeys.find((k) => k.id === bReaderKeyId)?.revokedAt).toBeNull();
    // Nor does A's key list show B's keys.
    expect((await aAdmin.keys.list.query()).some((k) => k.id === bReaderKeyId)).toBe(false);
  });

  it('lets a root admin manage any project by name', async () => {
    const created = await root.keys.create.mutate({ project: 'plant-b', name: 'ops-made', role: 'reader' });
    const asB = createAihubClient({ url: server.url, apiKey: created.token });
    expect((await asB.auth.whoami.query()).project.name).toBe('plant-b');
    expect(await codeOf(root.keys.list.query({ project: 'nowhere' }))).toBe('NOT_FOUND');
    expect((await root.projects.list.query()).map((p) => p.name)).toEqual(
      expect.arrayContaining(['admin', 'plant-a', 'plant-b']),
    );
  });

  it('stops honouring a revoked key on the very next request', async () => {
    const made = await aAdmin.keys.create.mutate({ name: 'short-lived', role: 'writer' });
    const shortLived = createAihubClient({ url: server.url, apiKey: made.token });
    expect((await shortLived.auth.whoami.query()).keyName).toBe('short-lived');
    const revoked = await aAdmin.keys.revoke.mutate({ id: made.key.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await codeOf(shortLived.auth.whoami.query())).toBe('UNAUTHORIZED');
    expect((await aAdmin.keys.list.query()).some((k) => k.id === made.key.id)).toBe(false);
    expect((await aAdmin.keys.list.query({ includeRevoked: true })).some((k) => k.id === made.key.id)).toBe(
      true,
    );
  });

  it('stores keys only as hashes: listing never returns the secret', async () => {
    const made = await aAdmin.keys.create.mutate({ name: 'audit-me', role: 'reader' });
    const listed = JSON.stringify(await aAdmin.keys.list.query());
    expect(listed).not.toContain(made.token);
    expect(listed).not.toContain(made.token.slice(15));
  });
});
