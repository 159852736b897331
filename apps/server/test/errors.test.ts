import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';

/** Raw HTTP, to see exactly what a non-TypeScript client receives. */
async function call(server: TestServer, path: string, body: unknown, key = server.adminKey) {
  const res = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ json: body }),
  });
  const payload = (await res.json()) as {
    error?: { json: { message: string; data: Record<string, unknown> } };
  };
  return { status: res.status, requestId: res.headers.get('x-request-id'), error: payload.error?.json };
}

describe('error responses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('answers malformed input with 400, naming every bad field and why', async () => {
    const { status, error } = await call(server, 'keys.create', {
      name: '',
      role: 'superuser',
      project: 'Bad Name',
    });
    expect(status).toBe(400);
    expect(error?.data.code).toBe('BAD_REQUEST');
    const fields = error?.data.fieldErrors as Record<string, string[]>;
    expect(Object.keys(fields).sort()).toEqual(['name', 'project', 'role']);
    expect(error?.message).toMatch(/^Invalid input: /);
    expect(error?.message).toContain('role:');
    expect(JSON.stringify(error)).not.toMatch(/stack|\.ts:\d+/);
  });

  it('answers a body that is not JSON with 400, not 500', async () => {
    const res = await fetch(`${server.url}/trpc/projects.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: '{not json',
    });
    expect(res.status).toBe(400);
  });

  it('maps domain errors to their codes: duplicate project is CONFLICT (409)', async () => {
    expect((await call(server, 'projects.create', { name: 'dup-project' })).status).toBe(200);
    const again = await call(server, 'projects.create', { name: 'dup-project' });
    expect(again.status).toBe(409);
    expect(again.error?.data.code).toBe('CONFLICT');
    expect(again.error?.message).toBe("A project named 'dup-project' already exists");
  });

  it('answers an unknown procedure with 404 and carries a request id on every response', async () => {
    const { status, requestId } = await call(server, 'nope.nothing', {});
    expect(status).toBe(404);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a caller-supplied request id', async () => {
    const res = await fetch(`${server.url}/trpc/health.live`, {
      headers: { 'x-request-id': 'trace-12345678' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-12345678');
  });
});
