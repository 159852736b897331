import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { startHttpServer } from '../src/http.js';
import type { AppDeps } from '../src/context.js';
import { Metrics } from '../src/observability/metrics.js';

// Graceful shutdown is a property of the HTTP layer; a slow health probe stands in for a slow request.
// Only the logger, the probes and the metrics are used on this path; any other dependency touched fails loudly.
function depsWithSlowProbe(delayMs: number): AppDeps {
  const used: Partial<AppDeps> = {
    logger: createLogger('silent'),
    metrics: new Metrics({ processMetrics: false }),
    probes: [{ name: 'slow', ping: () => new Promise((resolve) => setTimeout(resolve, delayMs)) }],
  };
  return new Proxy(used, {
    get(target, property) {
      if (property in target) return target[property as keyof AppDeps];
      throw new Error(`shutdown test: deps.${String(property)} is not expected on this path`);
    },
  }) as AppDeps;
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
