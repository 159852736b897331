import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerProcedures } from '../src/rest/procedures.js';
import { REST_ROUTES, type RestRoute } from '../src/rest/routes.js';
import { startTestServer, type TestServer } from '../src/testing.js';

/*
 * The REST layer against the real server: the document validates with a real OpenAPI validator,
 * every documented route answers its example input with 200 and a body valid against the
 * document's schema for it, errors have the documented shape and statuses, /docs loads nothing
 * from another origin.
 */

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

describe('REST routes and the OpenAPI document', () => {
  let server: TestServer;
  let doc: { paths: Record<string, Record<string, Operation>>; components: Json };
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(ajv);

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; key?: string | null; raw?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? server.adminKey : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: (text ? JSON.parse(text) : {}) as Json,
    };
  };

  const urlOf = (route: RestRoute, params: Record<string, string> = {}) => {
    let path = route.path;
    for (const [name, param] of Object.entries(route.params ?? {}))
      path = path.replace(`{${name}}`, encodeURIComponent(params[name] ?? param.example));
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(route.example?.query ?? {}))
      for (const v of Array.isArray(value) ? value : [value]) query.append(key, v);
    return query.size > 0 ? `${path}?${query}` : path;
  };

  const expectDocumented = (route: RestRoute, status: number, body: unknown) => {
    const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
    const schema = operation?.responses[String(status)]?.content?.['application/json']?.schema;
    expect(schema, `${route.method} ${route.path} documents ${status}`).toBeDefined();
    const validate = ajv.compile(schema as object);
    expect(validate(body), `${route.method} ${route.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves an OpenAPI 3.1 document that a validator accepts, with every route, the bearer scheme and examples', async () => {
    const response = await call('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const raw = response.json as Json;
    expect(raw.openapi).toBe('3.1.0');
    // validate() dereferences in place: keep the document as served for the rest.
    await SwaggerParser.validate(structuredClone(raw) as never);
    doc = (await SwaggerParser.dereference(structuredClone(raw) as never)) as unknown as typeof doc;
    expect((raw.components as Json).securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    for (const route of REST_ROUTES)
      expect(doc.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
    // The seed's paths, exactly as its users' scripts call them.
    const seed = [
      ['post', '/ai/features/get'],
      ['post', '/ai/features/export'],
      ['get', '/ai/features/exports'],
      ['get', '/ai/features/sets'],
      ['post', '/ai/models/register'],
      ['get', '/ai/models/{model_id}'],
      ['get', '/ai/models/'],
      ['put', '/ai/models/{model_id}/promote'],
      ['delete', '/ai/models/{model_id}'],
    ] as const;
    for (const [method, path] of seed) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths['/v1/models/uploads/{version_id}']?.put).toBeDefined();
    expect(doc.paths['/v1/ingest/{kind}']?.post).toBeDefined();
    const featuresGet = (raw.paths as Json)['/ai/features/get'] as {
      post: { requestBody: { content: Json } };
    };
    expect(JSON.stringify(featuresGet.post.requestBody.content)).toContain('meter-1');
  });

  it('maps every procedure of the router to a REST route', () => {
    const mapped = new Set(REST_ROUTES.map((r) => r.procedure));
    expect([...routerProcedures().keys()].filter((p) => !mapped.has(p))).toEqual([]);
  });

  it('answers every documented route with its example input (200, body as documented)', async () => {
    const rest = REST_ROUTES;
    const route = (method: string, path: string) =>
      rest.find((r) => r.method === method && r.path === path) as RestRoute;
    // Data for the examples: two meters with two days of hourly readings.
    const readings = ['meter-1', 'meter-2'].flatMap((entity, e) =>
      Array.from({ length: 48 }, (_, h) => ({
        entity_id: entity,
        metric: 'kwh',
        ts: new Date(Date.UTC(2026, 1, 28) + h * 3_600_000).toISOString(),
        value: 1 + e + (h % 24) / 10,
      })),
    );
    expect(
      (
        await call('POST', '/ai/ingest/entities', {
          body: { records: [{ entity_id: 'meter-2', location_id: 'loc-1', timezone: 'UTC' }] },
        })
      ).status,
    ).toBe(200);
    const ids: Record<string, Record<string, string>> = {};
    // Drift and explanations need a servable version whose lineage names a succeeded export.
    let trained: string | undefined;
    const modelWithTrainingExport = async () => {
      if (trained) return trained;
      const started = await call('POST', '/ai/features/export', {
        body: {
          featureSet: 'forecast_basic',
          metric: 'kwh',
          spine: [{ entityId: 'meter-1', asOf: '2026-03-01T12:00:00Z' }],
        },
      });
      const exportId = started.json.id as string;
      for (let i = 0; i < 300; i++) {
        if ((await call('GET', `/ai/features/exports/${exportId}`)).json.status === 'succeeded') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const registered = await call('POST', '/ai/models/register', {
        body: {
          name: 'load-forecast',
          format: 'onnx',
          lineage: { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh', exportId },
          // The example's hour has no reading a week earlier (nor has the one-row export a mean of it).
          metadata: {
            imputation: { lag_168h: 2 },
            baseline: { lag_1h: 2, lag_24h: 2, lag_168h: 2, hour_of_day: 12, day_of_week: 3, is_weekend: 0 },
          },
        },
      });
      const put = await fetch(`${server.url}${(registered.json.upload as Json).path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${server.adminKey}` },
        body: await readFile(new URL('../../../examples/model.onnx', import.meta.url)),
      });
      expect(put.status).toBe(200);
      trained = `load-forecast@${(registered.json.version as Json).version}`;
      return trained;
    };
    const answered = new Map<string, { status: number; json: Json }>();
    for (const r of rest) {
      if (r.procedure === 'ingest.readings') {
        // The example record, then the data the feature examples read.
        await call('POST', urlOf(r), { body: { records: readings } });
      }
      if (r.procedure === 'features.drift' || r.procedure === 'predictions.explain')
        ids[r.procedure] = { model_id: await modelWithTrainingExport() };
      const response = await call(
        r.method,
        urlOf(r, ids[r.procedure]),
        r.method === 'POST' || r.method === 'PUT' ? { body: r.example?.body ?? {} } : {},
      );
      answered.set(`${r.method} ${r.path}`, response);
      if (
        (r.procedure === 'features.cancelExport' || r.procedure === 'predictions.cancelBatch') &&
        response.status === 409
      ) {
        // The example job finished before the cancel arrived: documented as CONFLICT.
        expectDocumented(r, 409, response.json);
        continue;
      }
      expect(response.status, `${r.method} ${r.path}: ${JSON.stringify(response.json)}`).toBe(200);
      expectDocumented(r, 200, response.json);
      // Ids made by one route for the routes after it.
      if (r.procedure === 'keys.create')
        ids['keys.revoke'] = { key_id: (response.json.key as Json).id as string };
      if (r.procedure === 'features.export') {
        const id = response.json.id as string;
        ids['features.exportGet'] = { export_id: id };
        ids['features.cancelExport'] = { export_id: id };
      }
      if (r.procedure === 'predictions.batch') {
        const id = response.json.id as string;
        ids['predictions.batchGet'] = { batch_id: id };
        ids['predictions.cancelBatch'] = { batch_id: id };
      }
      if (r.procedure === 'models.register') {
        const upload = response.json.upload as { path: string };
        const put = await fetch(`${server.url}${upload.path}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/octet-stream' },
          // A servable model: the linear regressor over forecast_basic the README registers too.
          body: await readFile(new URL('../../../examples/model.onnx', import.meta.url)),
        });
        expect(put.status).toBe(200);
      }
    }
    expect(answered.size).toBe(rest.length);
    // Both spellings of the list answer the same versions.
    const slash = await call('GET', '/ai/models/');
    const bare = await call('GET', '/ai/models');
    expect(slash.status).toBe(200);
    expect((slash.json.items as Json[]).map((v) => v.id)).toEqual(
      (bare.json.items as Json[]).map((v) => v.id),
    );
    // The served answers are the procedures': a reference in the path finds the version registered.
    const got = answered.get('GET /ai/models/{model_id}')?.json as Json;
    expect(got).toMatchObject({ modelName: 'load-forecast', version: 1, status: 'ready', format: 'onnx' });
    const predicted = answered.get('POST /ai/models/{model_id}/predict')?.json as {
      predictions: { entityId: string; status: string }[];
    };
    expect(predicted.predictions.map((p) => [p.entityId, p.status])).toEqual([
      ['meter-1', 'ok'],
      ['meter-2', 'ok'],
    ]);
    expect(route('GET', '/ai/models/{model_id}')).toBeDefined();
    const vectors = answered.get('POST /ai/features/get')?.json as {
      vectors: { entityId: string; status: string; asOf: string }[];
    };
    expect(vectors.vectors.map((v) => [v.entityId, v.status])).toEqual([
      ['meter-1', 'ok'],
      ['meter-2', 'ok'],
    ]);
    expect(vectors.vectors[0]?.asOf).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  });

  it('answers errors as { error: { code, message, requestId, fieldErrors } } with the statuses of tRPC', async () => {
    const get = REST_ROUTES.find((r) => r.procedure === 'features.get') as RestRoute;
    const bad = await call('POST', '/ai/features/get', {
      body: { featureSet: 'forecast_basic', metric: 'kwh', entityIds: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: {
        code: 'BAD_REQUEST',
        message: expect.stringContaining('entityIds'),
        requestId: bad.headers.get('x-request-id'),
        fieldErrors: { entityIds: ['must name at least one entity'] },
      },
    });
    expectDocumented(get, 400, bad.json);

    const noKey = await call('POST', '/ai/features/get', { key: null, body: get.example?.body });
    expect(noKey.status).toBe(401);
    expect((noKey.json.error as Json).code).toBe('UNAUTHORIZED');

    const missing = await call('GET', '/ai/models/nothing-here@1');
    expect(missing.status).toBe(404);
    expect((missing.json.error as Json).code).toBe('NOT_FOUND');

    const notARef = await call('GET', '/ai/models/just-a-name');
    expect(notARef.status).toBe(400);
    expect((notARef.json.error as Json).fieldErrors).toEqual({
      model_id: [expect.stringContaining('not a model version')],
    });

    const notJson = await call('POST', '/ai/features/get', { raw: '{"featureSet":' });
    expect(notJson.status).toBe(400);
    expect((notJson.json.error as Json).fieldErrors).toEqual({
      body: [expect.stringContaining('not valid JSON')],
    });

    const wrongMethod = await call('PATCH', '/ai/features/get', { body: {} });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');

    // A query parameter no field takes is a typo, named in the answer.
    const typo = await call('GET', '/ai/features/exports?limt=5');
    expect(typo.status).toBe(400);
    expect((typo.json.error as Json).fieldErrors).toEqual({
      limt: [expect.stringContaining('unknown query parameter')],
    });

    // Names that objects inherit are no parameters either, and a NUL is refused as over tRPC.
    for (const path of [
      '/ai/keys?__proto__=x',
      '/ai/features/exports?toString=1',
      '/ai/entities?ids=a%00b',
    ]) {
      const refused = await call('GET', path);
      expect(refused.status, path).toBe(400);
      expect(Object.keys((refused.json.error as Json).fieldErrors as Json).length, path).toBe(1);
    }

    const unknown = await call('GET', '/ai/nothing');
    expect(unknown.status).toBe(404);

    // A query value the schema wants as a number, given as text, names its field.
    const limit = await call('GET', '/ai/features/exports?limit=many');
    expect(limit.status).toBe(400);
    expect(Object.keys((limit.json.error as Json).fieldErrors as Json)).toEqual(['limit']);
  });

  it('reads query booleans as written: includeRevoked=false leaves revoked keys out', async () => {
    const created = await call('POST', '/ai/keys', { body: { name: 'short-lived', role: 'reader' } });
    const id = (created.json.key as Json).id as string;
    expect((await call('DELETE', `/ai/keys/${id}`)).status).toBe(200);
    const without = await call('GET', '/ai/keys?includeRevoked=false');
    const withRevoked = await call('GET', '/ai/keys?includeRevoked=true');
    expect((without.json as unknown as Json[]).some((k) => k.id === id)).toBe(false);
    expect((withRevoked.json as unknown as Json[]).some((k) => k.id === id)).toBe(true);
  });

  it('serves /docs from the workspace: every asset the page names is same-origin and served', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref.startsWith('/') && !ref.startsWith('//'), ref).toBe(true);
      const asset = await fetch(`${server.url}${ref}`);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    expect(html).toContain("url: '/openapi.json'");
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${server.url}/docs/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
