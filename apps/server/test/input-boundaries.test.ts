import type { RouterInputs } from '../src/index.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { failure, waitFor } from './support/feature-data.js';

/*
 * Bad input at the API's edge (issue 8 item 3, 6, 11; issue 9 dates): each is a 400 naming the
 * field, never a 500, and nothing is stored behind a refusal. Raw HTTP where the typed client
 * could not send the input at all (reserved keys, lone surrogates).
 */

interface Answer {
  status: number;
  message: string;
  fields: Record<string, string[]> | null;
  data: unknown;
}

/** A tRPC call with the body written by hand: `json` is the wire JSON text of the input. */
async function raw(
  server: TestServer,
  key: string,
  path: string,
  json: string,
  method = 'POST',
): Promise<Answer> {
  const body = `{"json":${json}}`;
  const res =
    method === 'POST'
      ? await fetch(`${server.url}/trpc/${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        })
      : await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(body)}`, {
          headers: { authorization: `Bearer ${key}` },
        });
  const payload = JSON.parse(await res.text()) as {
    error?: { json: { message: string; data: { fieldErrors: Record<string, string[]> | null } } };
    result?: { data: { json: unknown } };
  };
  return {
    status: res.status,
    message: payload.error?.json.message ?? '',
    fields: payload.error?.json.data.fieldErrors ?? null,
    data: payload.result?.data.json,
  };
}

const MAX_ARTIFACT = 1_000;

describe('input boundaries', () => {
  let server: TestServer;
  let key: string;
  let api: AihubClient;

  beforeAll(async () => {
    server = await startTestServer({ MODEL_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT) });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const project = await root.projects.create.mutate({ name: 'edges' });
    key = project.adminKey.token;
    api = createAihubClient({ url: server.url, apiKey: key });
    await api.ingest.entities.mutate({ records: [{ entity_id: 'm1' }], strict: true });
    await api.ingest.readings.mutate({
      records: [{ entity_id: 'm1', metric: 'kwh', ts: '2026-01-01T00:10:00Z', value: 1 }],
      strict: true,
    });
  });
  afterAll(async () => server?.stop());

  it('types every date input as Date | string', () => {
    type Inputs = RouterInputs;
    expectTypeOf<NonNullable<Inputs['features']['get']['asOf']>>().toEqualTypeOf<Date | string>();
    type Spine = NonNullable<Inputs['features']['offline']['spine']>;
    expectTypeOf<Spine[number]['asOf']>().toEqualTypeOf<Date | string>();
    type Range = NonNullable<Inputs['features']['export']['range']>;
    expectTypeOf<Range['start']>().toEqualTypeOf<Date | string>();
    type Listing = Exclude<Inputs['features']['exports'], void | undefined>;
    expectTypeOf<NonNullable<Listing['createdFrom']>>().toEqualTypeOf<Date | string>();
    expectTypeOf<Inputs['features']['history']['end']>().toEqualTypeOf<Date | string>();
    expectTypeOf<NonNullable<Inputs['features']['drift']['end']>>().toEqualTypeOf<Date | string>();
    type Lineage = NonNullable<Inputs['models']['register']['lineage']>;
    expectTypeOf<NonNullable<Lineage['trainingFrom']>>().toEqualTypeOf<Date | string>();
  });

  it('refuses reserved metric, param and metadata keys with 400 and stores nothing', async () => {
    for (const [input, field] of [
      ['{"metrics":{"constructor":1}}', 'metrics.constructor'],
      ['{"params":{"prototype":"x"}}', 'params.prototype'],
      ['{"metadata":{"a":{"__proto__":{"polluted":true}}}}', 'metadata.a.__proto__'],
      ['{"tags":{"constructor":"x"}}', 'tags.constructor'],
    ] as const) {
      const answer = await raw(
        server,
        key,
        'models.register',
        `{"name":"keys","format":"onnx",${input.slice(1)}`,
      );
      expect(answer.status, input).toBe(400);
      expect(Object.keys(answer.fields ?? {}), input).toEqual([field]);
    }
    const list = await raw(server, key, 'models.list', '{}', 'GET');
    expect(list.status).toBe(200);
    expect(list.data).toEqual({ items: [], nextCursor: null });
  });

  it('serves a version stored with a reserved key before such keys were refused', async () => {
    const { version } = await api.models.register.mutate({
      name: 'legacy',
      format: 'onnx',
      metrics: { mape: 1 },
    });
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    try {
      const updated = await db.query(
        `UPDATE model_versions SET metrics = '{"constructor": 0.5, "mape": 1}', params = '{"prototype": "p"}' WHERE id = $1`,
        [version.id],
      );
      expect(updated.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    const list = await api.models.list.query({});
    expect(list.items.map((v) => ({ ...v.metrics }))).toEqual([{ constructor: 0.5, mape: 1 }]);
    const got = await api.models.get.query({ id: version.id });
    expect(Object.hasOwn(got.metrics, 'constructor')).toBe(true);
    expect(got.params).toEqual({ prototype: 'p' });
    expect(got.createdAt).toBeInstanceOf(Date);
  });

  it('refuses text PostgreSQL cannot store (NUL, lone surrogates) naming the field', async () => {
    for (const [path, json, field] of [
      ['models.register', '{"name":"t","format":"onnx","description":"a\\u0000b"}', 'description'],
      ['models.register', '{"name":"t","format":"onnx","metadata":{"note":"x\\ud800"}}', 'metadata.note'],
      ['models.register', '{"name":"t","format":"onnx","params":{"p":"\\u0000"}}', 'params.p'],
      ['models.register', '{"name":"t","format":"onnx","comment":"\\udc00"}', 'comment'],
      ['projects.create', '{"name":"nul-project","description":"\\u0000"}', 'description'],
      [
        'features.defineSet',
        '{"name":"nul_set","features":["lag_1h"],"description":"\\u0000"}',
        'description',
      ],
    ] as const) {
      const answer = await raw(server, path === 'projects.create' ? server.adminKey : key, path, json);
      expect(answer.status, json).toBe(400);
      expect(Object.keys(answer.fields ?? {}), json).toEqual([field]);
    }
    expect((await api.models.list.query({ nameContains: 't' })).items.map((v) => v.modelName)).not.toContain(
      't',
    );
  });

  it('refuses versions above 2^31 - 1 and answers the largest one with NOT_FOUND', async () => {
    for (const [path, json] of [
      ['models.get', '{"name":"legacy","version":2147483648}'],
      ['models.history', '{"name":"legacy","version":2147483648}'],
      [
        'features.get',
        '{"featureSet":"forecast_basic","version":2147483648,"metric":"kwh","entityIds":["m1"]}',
      ],
    ] as const) {
      const answer = await raw(server, key, path, json, 'GET');
      expect(answer.status, path).toBe(400);
      expect(Object.keys(answer.fields ?? {}), path).toEqual(['version']);
    }
    expect((await failure(api.models.get.query({ name: 'legacy', version: 2_147_483_647 }))).code).toBe(
      'NOT_FOUND',
    );
    expect(await api.models.history.query({ name: 'legacy', version: 2_147_483_647 })).toEqual([]);
  });

  it("answers featureSet 'constructor' as an unknown set", async () => {
    const get = failure(
      api.features.get.query({ featureSet: 'constructor', metric: 'kwh', entityIds: ['m1'] }),
    );
    expect(await get).toMatchObject({ code: 'NOT_FOUND', message: "Feature set 'constructor' not found" });
    const at = '2026-01-01T00:00:00Z';
    const offline = failure(
      api.features.offline.query({
        featureSet: 'constructor',
        metric: 'kwh',
        spine: [{ entityId: 'm1', asOf: at }],
      }),
    );
    expect((await offline).code).toBe('NOT_FOUND');
    expect(
      (await failure(api.features.materialize.mutate({ featureSet: 'constructor', metric: 'kwh' }))).code,
    ).toBe('NOT_FOUND');
  });

  it('refuses a declared size above MODEL_MAX_ARTIFACT_BYTES at registration; the limit itself is accepted', async () => {
    const over = await failure(
      api.models.register.mutate({ name: 'big', format: 'onnx', sizeBytes: MAX_ARTIFACT + 1 }),
    );
    expect(over.code).toBe('BAD_REQUEST');
    expect(Object.keys(over.fields ?? {})).toEqual(['sizeBytes']);
    expect(over.message).toContain(`at most ${MAX_ARTIFACT} bytes`);
    const huge = await failure(api.models.register.mutate({ name: 'big', format: 'onnx', sizeBytes: 1e15 }));
    expect(Object.keys(huge.fields ?? {})).toEqual(['sizeBytes']);
    expect((await api.models.list.query({ nameContains: 'big' })).items).toEqual([]);
    const atLimit = await api.models.register.mutate({
      name: 'big',
      format: 'onnx',
      sizeBytes: MAX_ARTIFACT,
    });
    expect(atLimit.version.declaredSizeBytes).toBe(MAX_ARTIFACT);
  });

  it('refuses zone-less and unstorable dates in every date input, naming the field', async () => {
    const spineAt = (asOf: string) => ({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      spine: [{ entityId: 'm1', asOf }],
    });
    const range = (start: string, end: string) => ({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start, end },
    });
    const good = '2026-01-01T00:00:00Z';
    for (const bad of ['2026-01-01T00:00:00', '0000-06-01T00:00:00Z', '9999-12-31T23:59:59-14:00']) {
      const cases: [Promise<unknown>, string][] = [
        [
          api.features.get.query({
            featureSet: 'forecast_basic',
            metric: 'kwh',
            entityIds: ['m1'],
            asOf: bad,
          }),
          'asOf',
        ],
        [api.features.offline.query(spineAt(bad)), 'spine.0.asOf'],
        [api.features.offline.query(range(bad, good)), 'range.start'],
        [api.features.export.mutate(range(good, bad)), 'range.end'],
        [api.features.export.mutate(spineAt(bad)), 'spine.0.asOf'],
        [api.features.exports.query({ createdFrom: bad }), 'createdFrom'],
        [
          api.features.history.query({
            featureSet: 'forecast_basic',
            metric: 'kwh',
            entityId: 'm1',
            start: bad,
            end: good,
          }),
          'start',
        ],
        [api.features.drift.query({ model: 'legacy@1', end: bad }), 'end'],
        [api.features.exports.query({ createdTo: bad }), 'createdTo'],
        [
          api.models.register.mutate({
            name: 'dated',
            format: 'onnx',
            lineage: { trainingFrom: bad, trainingTo: '2026-02-01T00:00:00Z' },
          }),
          'lineage.trainingFrom',
        ],
      ];
      for (const [call, field] of cases) {
        const answer = await failure(call);
        expect(answer.code, `${field} = ${bad}`).toBe('BAD_REQUEST');
        expect(Object.keys(answer.fields ?? {}), `${field} = ${bad}`).toEqual([field]);
      }
    }
    // Date objects outside the range too (the typed client sends them as Dates).
    const year10000 = await failure(
      api.features.get.query({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        entityIds: ['m1'],
        asOf: new Date(253_402_300_800_000),
      }),
    );
    expect(Object.keys(year10000.fields ?? {})).toEqual(['asOf']);
    expect((await api.models.list.query({ nameContains: 'dated' })).items).toEqual([]);
  });

  it('answers at the edges of the range, and exports over them succeed', async () => {
    const first = '0001-01-01T00:00:00Z';
    const last = '9999-12-31T23:59:59.999Z';
    const offline = await api.features.offline.query({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      spine: [
        { entityId: 'm1', asOf: first },
        { entityId: 'm1', asOf: last },
      ],
      includeLabel: true,
    });
    expect(offline.rows.map((r) => r.asOf.toISOString())).toEqual([
      '0001-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]);
    const listing = await api.features.exports.query({ createdFrom: first, createdTo: last });
    expect(listing.items).toEqual([]);
    const started = await api.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { entityIds: ['m1'], start: '9999-12-31T21:00:00Z', end: last },
      includeLabel: true,
    });
    expect(started.totalRows).toBe(3);
    const done = await waitFor(
      () => api.features.exportGet.query({ id: started.id }),
      (e) => e.status === 'succeeded' || e.status === 'failed',
      60_000,
    );
    expect({ status: done.status, error: done.error, rows: done.rowsWritten }).toEqual({
      status: 'succeeded',
      error: null,
      rows: 3,
    });
  });

  it('refuses a range export over more than 1,000,000 hours, which would exhaust the heap', async () => {
    const start = Date.UTC(2000, 0, 1);
    const export_ = (hours: number) =>
      api.features.export.mutate({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        range: { entityIds: ['m1'], start: new Date(start), end: new Date(start + hours * 3_600_000) },
      });
    const over = await failure(export_(1_000_001));
    expect(over).toMatchObject({
      code: 'BAD_REQUEST',
      fields: { range: ['covers 1000001 hours; one export covers at most 1000000'] },
    });
    const millennia = await failure(export_((Date.parse('9999-12-31T00:00:00Z') - start) / 3_600_000));
    expect(Object.keys(millennia.fields ?? {})).toEqual(['range']);
    const atLimit = await export_(1_000_000);
    expect(atLimit.totalRows).toBe(1_000_000);
    await api.features.cancelExport.mutate({ id: atLimit.id }).catch(() => undefined);
  });

  it('refuses inputs nested deeper than 64 levels', async () => {
    const deep = `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`;
    const answer = await raw(
      server,
      key,
      'models.register',
      `{"name":"deep","format":"onnx","metadata":${deep}}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.message).toContain('must not nest deeper than 64 levels');
  });
});
