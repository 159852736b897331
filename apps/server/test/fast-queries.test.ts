import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAihubClient } from '../src/client.js';
import { fastQueryStats } from '../src/fast-queries.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, seedHistory } from './support/feature-data.js';

/*
 * features.get and predictions.predict are answered without tRPC's HTTP adapter (fast-queries.ts).
 * Every answer must be the one the adapter gives: the same request with one more query parameter
 * (which tRPC ignores and the fast path does not take) goes through the adapter, and both answers
 * are compared whole — status, body, content type — for successes and for each kind of error.
 */

describe('the fast path of features.get and predictions.predict answers exactly as the tRPC adapter', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    key = (await root.projects.create.mutate({ name: 'fast' })).adminKey.token;
    const api = createAihubClient({ url: server.url, apiKey: key });
    await seedHistory(api, currentHour(), 30);
    await api.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
  });
  afterAll(async () => server?.stop());

  /** status, content type, vary and the body with its per-request id blanked. */
  async function answer(response: Response) {
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      vary: response.headers.get('vary'),
      body: text.replace(/"requestId":"[^"]+"/g, '"requestId":"-"'),
    };
  }

  async function both(
    procedure: string,
    init: { method: 'GET' | 'POST'; input?: string | undefined; auth?: string | null },
  ) {
    const headers: Record<string, string> = {};
    const auth = init.auth === undefined ? `Bearer ${key}` : init.auth;
    if (auth !== null) headers.authorization = auth;
    const ask = async (viaAdapter: boolean) => {
      if (init.method === 'GET') {
        const query = init.input === undefined ? '' : `input=${encodeURIComponent(init.input)}`;
        const extra = viaAdapter ? `${query ? '&' : ''}adapter=1` : '';
        const q = query || extra ? `?${query}${extra}` : '';
        return answer(await fetch(`${server.url}/trpc/${procedure}${q}`, { headers }));
      }
      return answer(
        await fetch(`${server.url}/trpc/${procedure}${viaAdapter ? '?adapter=1' : ''}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: init.input ?? '',
        }),
      );
    };
    const before = fastQueryStats.answered;
    const fast = await ask(false);
    expect(fastQueryStats.answered).toBe(before + 1);
    const adapter = await ask(true);
    expect(fastQueryStats.answered).toBe(before + 1);
    expect(fast).toEqual(adapter);
    return fast;
  }

  const getInput = (entityIds: unknown, metric = 'kwh') =>
    JSON.stringify({ json: { featureSet: 'forecast_basic', metric, entityIds } });

  it('answers a success with the same body (superjson dates included), by GET and by POST', async () => {
    const ok = await both('features.get', { method: 'GET', input: getInput(['m1', 'm2', 'nope']) });
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body);
    expect(body.result.data.json.vectors.map((v: { source: string }) => v.source)).toEqual([
      'online',
      'online',
      'none',
    ]);
    expect(body.result.data.meta.values['vectors.0.asOf']).toEqual(['Date']);
    expect((await both('features.get', { method: 'POST', input: getInput(['m3']) })).status).toBe(200);
  });

  it('answers every kind of error as the adapter does', async () => {
    const cases = [
      // Input validation (zod), naming the field.
      { procedure: 'features.get', method: 'GET', input: getInput([]), status: 400 },
      // A metric the project never recorded.
      { procedure: 'features.get', method: 'GET', input: getInput(['m1'], 'volts'), status: 400 },
      // Not JSON, and no input at all.
      { procedure: 'features.get', method: 'GET', input: '{"json":', status: 400 },
      { procedure: 'features.get', method: 'GET', input: undefined, status: 400 },
      { procedure: 'features.get', method: 'POST', input: '', status: 400 },
      // No key, a wrong key.
      { procedure: 'features.get', method: 'GET', input: getInput(['m1']), auth: null, status: 401 },
      { procedure: 'features.get', method: 'GET', input: getInput(['m1']), auth: 'Bearer nope', status: 401 },
      // A model that does not exist.
      {
        procedure: 'predictions.predict',
        method: 'GET',
        input: JSON.stringify({ json: { model: 'missing@production', entityIds: ['m1'] } }),
        status: 404,
      },
    ] as const;
    for (const c of cases) {
      const got = await both(c.procedure, {
        method: c.method,
        input: c.input,
        ...('auth' in c ? { auth: c.auth } : {}),
      });
      expect({ ...c, status: got.status }).toEqual(c);
      expect(JSON.parse(got.body).error.json.message).not.toMatch(/Internal server error/);
    }
  });
});
