import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { startHttpServer } from '../src/http.js';
import type { AppDeps } from '../src/context.js';

// Graceful shutdown is a property of the HTTP layer; a slow health probe stands in for a slow request.
function depsWithSlowProbe(delayMs: number): AppDeps {
  const unused = () => Promise.reject(new Error('not used in this test'));
  return {
    logger: createLogger('silent'),
    probes: [{ name: 'slow', ping: () => new Promise((resolve) => setTimeout(resolve, delayMs)) }],
    projects: { create: unused, ensureRoot: unused, getById: unused, getByName: unused, list: unused },
    apiKeys: {
      create: unused,
      ensure: unused,
      list: unused,
      revoke: unused,
      findActiveByHash: unused,
      markUsed: unused,
    },
  };
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then stops accepting connections', async () => {
    const http = await startHttpServer(depsWithSlowProbe(400), { host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${http.url}/trpc/health.ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = http.close(5_000);
    const res = await inFlight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: { ready: boolean } } } };
    expect(body.result.data.json.ready).toBe(true);
    await closed;
    await expect(fetch(`${http.url}/livez`)).rejects.toThrow();
  });
});
