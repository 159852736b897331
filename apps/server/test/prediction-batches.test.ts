import { createS3Client } from '@aihub/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { putArtifact } from './models-support.js';
import { currentHour, failure, HOUR, seedHistory, waitFor } from './support/feature-data.js';
import { sample, scrape } from './support/metrics.js';
import { readExport } from './support/parquet-readback.js';
import { makeTestModels, TEST_MODELS } from './support/test-models.js';

type Batch = Awaited<ReturnType<AihubClient['predictions']['batchGet']['query']>>;

const BASIC = { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh' };
// The examples' linear model imputes lag_168h (a week back) with this; other nulls pass as NaN.
const IMPUTED_LAG_168H = 7.5;

/** The linear test model's output by hand, from its JSON weights: null where an input is still null. */
function linearByHand(name: string, values: readonly (number | null)[]): number | null {
  const spec = TEST_MODELS[name];
  if (spec?.kind !== 'linear') throw new Error(`${name} is not linear`);
  let sum = spec.bias;
  for (let j = 0; j < spec.weights.length; j++) {
    const x = values[j] ?? (spec.features[j] === 'lag_168h' ? IMPUTED_LAG_168H : null);
    if (x === null) return null;
    sum += (spec.weights[j] as number) * x;
  }
  return sum;
}

/*
 * predictions.batch against the real services: the API process runs no job workers, so a batch
 * stays queued until a worker process (a second server over the same database) is started; that
 * makes "the version is resolved once, at creation" observable: a promotion between creation and
 * run does not change what the batch runs.
 */
describe('predictions.batch: durable batch predictions into Parquet', () => {
  let api: Awaited<ReturnType<typeof startTestServer>>;
  let worker: TestServer | undefined;
  let a: AihubClient;
  let aReader: AihubClient;
  let b: AihubClient;
  let endHour: number;
  let listKeys: (prefix: string) => Promise<string[]>;
  let unfinishedUploads: (prefix: string) => Promise<string[]>;
  const models = makeTestModels();

  const finished = (id: string) =>
    waitFor(
      () => a.predictions.batchGet.query({ id }),
      (e) => ['succeeded', 'failed', 'cancelled'].includes(e.status),
      90_000,
    );

  async function register(name: string, file: string, metadata: Record<string, unknown>) {
    const { version, upload } = await a.models.register.mutate({
      name,
      format: 'onnx',
      lineage: BASIC,
      metadata: metadata as Record<string, never>,
    });
    const put = await putArtifact(
      api.url,
      apiKeyA,
      upload.path,
      (async function* () {
        yield models[file] as Buffer;
      })(),
    );
    expect(put.status).toBe(200);
    return version;
  }
  let apiKeyA: string;

  /** Each row of the file equals the hand-computed output of `model` for the offline vector of its row. */
  async function expectHandComputed(
    batch: Batch,
    model: string,
    offline: { entityId: string; asOf: Date; values: (number | null)[] }[],
  ) {
    expect(batch.status).toBe('succeeded');
    const file = await readExport(
      batch.downloadUrl as string,
      batch.params.source.kind === 'range' ? 'entity_id, as_of' : undefined,
    );
    expect(file.sha256).toBe(batch.sha256);
    expect(file.bytes).toBe(batch.bytes);
    const features = batch.params.includeFeatures ? batch.params.features : [];
    expect(file.columns).toEqual([
      { name: 'entity_id', type: 'VARCHAR' },
      { name: 'as_of', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'prediction', type: 'DOUBLE' },
      { name: 'model_version', type: 'INTEGER' },
      ...features.map((name) => ({ name, type: 'DOUBLE' })),
    ]);
    expect(file.rows).toHaveLength(offline.length);
    let real = 0;
    offline.forEach((row, i) => {
      const got = file.rows[i] as Record<string, number | string | null>;
      expect(got.entity_id).toBe(row.entityId);
      expect(got.as_of).toBe(row.asOf.getTime());
      expect(got.model_version).toBe(batch.model.version);
      const want = linearByHand(model, row.values);
      if (want === null) expect(got.prediction, `${row.entityId} ${row.asOf.toISOString()}`).toBeNull();
      else {
        real++;
        // The model computes in float32.
        expect(
          Math.abs((got.prediction as number) - want),
          `${row.entityId} ${row.asOf.toISOString()}`,
        ).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      }
      features.forEach((name, f) => {
        expect(got[name]).toBe(row.values[f]);
      });
    });
    return real;
  }

  beforeAll(async () => {
    api = await startTestServer({ AIHUB_WORKERS: 'false' });
    const root = createAihubClient({ url: api.url, apiKey: api.adminKey });
    apiKeyA = (await root.projects.create.mutate({ name: 'batches-a' })).adminKey.token;
    a = createAihubClient({ url: api.url, apiKey: apiKeyA });
    aReader = createAihubClient({
      url: api.url,
      apiKey: (await a.keys.create.mutate({ name: 'analyst', role: 'reader' })).token,
    });
    b = createAihubClient({
      url: api.url,
      apiKey: (await root.projects.create.mutate({ name: 'batches-b' })).adminKey.token,
    });
    endHour = currentHour();
    await seedHistory(a, endHour, 200);
    const s3 = createS3Client({
      endpoint: api.env.S3_ENDPOINT,
      region: api.env.S3_REGION,
      accessKey: api.env.S3_ACCESS_KEY,
      secretKey: api.env.S3_SECRET_KEY,
    });
    listKeys = async (prefix) => {
      const keys: string[] = [];
      for await (const item of s3.listObjectsV2(api.env.S3_BUCKET_EXPORTS, prefix, true)) {
        if (item.name) keys.push(item.name);
      }
      return keys;
    };
    unfinishedUploads = async (prefix) => {
      const keys: string[] = [];
      for await (const item of s3.listIncompleteUploads(api.env.S3_BUCKET_EXPORTS, prefix, true)) {
        if (item.key) keys.push(item.key);
      }
      return keys;
    };
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
  });

  it('resolves the version once, at creation: a promotion before the batch runs does not change its model', async () => {
    const v1 = await register('load-forecast', 'linear_forecast_basic', {
      imputation: { lag_168h: IMPUTED_LAG_168H },
    });
    await a.models.promote.mutate({ id: v1.id, to: 'production' });
    const range = { entityIds: ['m1', 'm2'], start: new Date(endHour - 30 * HOUR), end: new Date(endHour) };
    const queued = await a.predictions.batch.mutate({
      model: 'load-forecast@production',
      range,
      includeFeatures: true,
    });
    expect(queued).toMatchObject({
      status: 'queued',
      totalRows: 60,
      model: { id: v1.id, name: 'load-forecast', version: 1 },
      params: {
        modelRef: 'load-forecast@production',
        featureSet: 'forecast_basic',
        version: 1,
        metric: 'kwh',
      },
    });
    // Version 2 (other weights) becomes production before any worker runs the batch.
    const v2 = await register('load-forecast', 'linear_forecast_basic_b', {
      imputation: { lag_168h: IMPUTED_LAG_168H },
    });
    await a.models.promote.mutate({ id: v2.id, to: 'production' });
    expect((await a.predictions.batchGet.query({ id: queued.id })).status).toBe('queued');
    worker = await startTestServer(
      { EXPORT_HEARTBEAT_TIMEOUT_SECONDS: '2' },
      { database: { url: api.databaseUrl } },
    );
    const done = await finished(queued.id);
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: 60, model: { version: 1 } });
    const offline = await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', range });
    const sorted = [...offline.rows].sort(
      (x, y) => x.entityId.localeCompare(y.entityId) || x.asOf.getTime() - y.asOf.getTime(),
    );
    expect(await expectHandComputed(done, 'linear_forecast_basic', sorted)).toBe(60);
    expect(await listKeys(`${done.projectId}/predictions/${done.id}/`)).toEqual([done.objectKey]);
    expect(done.objectKey).toBe(`${done.projectId}/predictions/${done.id}/load-forecast-v1.parquet`);
  }, 120_000);

  it('over a spine: point-in-time vectors as features.offline gives them, nulls where a lag has no reading', async () => {
    // Any instant (not only whole hours), hours before the history (every lag null), and the current hour.
    const spine = [
      { entityId: 'm1', asOf: new Date(endHour - 5 * HOUR + 17 * 60_000) },
      { entityId: 'm2', asOf: new Date(endHour - 24 * HOUR) },
      { entityId: 'm1', asOf: new Date(endHour - 400 * HOUR) },
      { entityId: 'm3', asOf: new Date(endHour - 2 * HOUR) },
      { entityId: 'm2', asOf: new Date(endHour) },
      { entityId: 'm1', asOf: new Date(endHour - 190 * HOUR) },
    ];
    const queued = await a.predictions.batch.mutate({ model: 'load-forecast@1', spine });
    const done = await finished(queued.id);
    const offline = await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', spine });
    const real = await expectHandComputed(done, 'linear_forecast_basic', offline.rows);
    expect(real).toBeGreaterThanOrEqual(3);
    expect(real).toBeLessThan(spine.length); // m3 has no readings; 400 h back has none either
  }, 120_000);

  it('cancelling a running batch leaves no object and no unfinished upload', async () => {
    const started = await a.predictions.batch.mutate({
      model: 'load-forecast@1',
      // About 10 years of three entities (263,000 rows): still running when the cancel arrives.
      range: {
        entityIds: ['m1', 'm2', 'm3'],
        start: new Date(endHour - 10 * 8760 * HOUR),
        end: new Date(endHour),
      },
    });
    await waitFor(
      () => a.predictions.batchGet.query({ id: started.id }),
      (e) => e.status !== 'queued' && (e.status !== 'running' || e.rowsWritten > 0),
      60_000,
    );
    const cancelled = await a.predictions.cancelBatch.mutate({ id: started.id });
    expect(cancelled.status).toBe('cancelled');
    const prefix = `${cancelled.projectId}/predictions/${started.id}/`;
    await waitFor(
      async () => [...(await listKeys(prefix)), ...(await unfinishedUploads(prefix))],
      (keys) => keys.length === 0,
      20_000,
    );
    const after = await a.predictions.batchGet.query({ id: started.id });
    expect(after).toMatchObject({ status: 'cancelled', downloadUrl: null, objectKey: null });
    expect((await failure(a.predictions.cancelBatch.mutate({ id: started.id }))).code).toBe('CONFLICT');
  }, 120_000);

  it('takes a spine of 100,000 rows at most and refuses bad input with 400 naming the field', async () => {
    const spine = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        entityId: i % 2 ? 'm1' : 'm2',
        asOf: new Date(endHour - (i % 500) * HOUR),
      }));
    const atLimit = await a.predictions.batch.mutate({ model: 'load-forecast@1', spine: spine(100_000) });
    expect(atLimit.totalRows).toBe(100_000);
    await a.predictions.cancelBatch.mutate({ id: atLimit.id }).catch(() => undefined);
    const over = await failure(
      a.predictions.batch.mutate({ model: 'load-forecast@1', spine: spine(100_001) }),
    );
    expect(over).toMatchObject({
      code: 'BAD_REQUEST',
      fields: { spine: ['at most 100000 rows inline; use a range for more'] },
    });

    // A range covers at most 1,000,000 hours, as an export does.
    const hours = (n: number) => ({
      entityIds: ['m1'],
      start: new Date(endHour - n * HOUR),
      end: new Date(endHour),
    });
    const atRangeLimit = await a.predictions.batch.mutate({
      model: 'load-forecast@1',
      range: hours(1_000_000),
    });
    expect(atRangeLimit.totalRows).toBe(1_000_000);
    await a.predictions.cancelBatch.mutate({ id: atRangeLimit.id }).catch(() => undefined);
    const overRange = await failure(
      a.predictions.batch.mutate({ model: 'load-forecast@1', range: hours(1_000_001) }),
    );
    expect(overRange).toMatchObject({
      code: 'BAD_REQUEST',
      fields: { range: ['covers 1000001 hours; one batch covers at most 1000000'] },
    });

    const range = { start: new Date(endHour - 2 * HOUR), end: new Date(endHour) };
    const cases: [unknown, string][] = [
      [{ model: 'no at sign', range }, 'model'],
      [{ model: 'load-forecast@1' }, 'range'],
      [{ model: 'load-forecast@1', range, spine: [] }, 'range'],
      [{ model: 'load-forecast@1', range: { start: range.end, end: range.start } }, 'range.end'],
      [{ model: 'load-forecast@1', spine: [{ entityId: 'ghost', asOf: range.start }] }, 'spine'],
      [{ model: 'load-forecast@1', range: { ...range, entityIds: ['ghost'] } }, 'range.entityIds'],
    ];
    for (const [input, field] of cases) {
      const refused = await failure(a.predictions.batch.mutate(input as never));
      expect(refused.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      expect(Object.keys(refused.fields ?? {}), JSON.stringify(input)).toEqual([field]);
    }
    // A format that cannot be served is refused at creation, naming the model.
    const { version: blob, upload } = await a.models.register.mutate({ name: 'blob', format: 'other' });
    await putArtifact(
      api.url,
      apiKeyA,
      upload.path,
      (async function* () {
        yield Buffer.from('not a model');
      })(),
    );
    const notServable = await failure(a.predictions.batch.mutate({ model: `blob@${blob.version}`, range }));
    expect(notServable).toMatchObject({
      code: 'BAD_REQUEST',
      fields: { model: [expect.stringContaining('only ONNX models can be served')] },
    });
    expect((await failure(a.predictions.batch.mutate({ model: 'nobody@1', range }))).code).toBe('NOT_FOUND');
  }, 120_000);

  it('lists with filters and cursor pages; other projects see nothing; readers cannot start one', async () => {
    const all = await a.predictions.batches.query({});
    expect(all.items.length).toBeGreaterThanOrEqual(4);
    const page1 = await a.predictions.batches.query({ limit: 2 });
    const page2 = await a.predictions.batches.query({ limit: 2, cursor: page1.nextCursor as string });
    expect([...page1.items, ...page2.items].map((e) => e.id)).toEqual(all.items.slice(0, 4).map((e) => e.id));
    const succeeded = await a.predictions.batches.query({ status: 'succeeded', model: 'load-forecast' });
    expect(succeeded.items.map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    expect(await a.predictions.batches.query({ model: 'blob' })).toEqual({ items: [], nextCursor: null });
    // /metrics counts the records per status (all projects; only this one has batches).
    const scraped = await scrape(api.url);
    expect(sample(scraped, 'aihub_prediction_batches', { status: 'succeeded' })).toBe(2);
    const cancelled = await a.predictions.batches.query({ status: 'cancelled' });
    expect(sample(scraped, 'aihub_prediction_batches', { status: 'cancelled' })).toBe(cancelled.items.length);
    const id = all.items[0]?.id as string;
    expect((await failure(b.predictions.batchGet.query({ id }))).code).toBe('NOT_FOUND');
    expect((await failure(b.predictions.cancelBatch.mutate({ id }))).code).toBe('NOT_FOUND');
    expect((await failure(a.predictions.batchGet.query({ id: 'not-a-uuid' }))).code).toBe('NOT_FOUND');
    expect((await b.predictions.batches.query({})).items).toEqual([]);
    expect((await aReader.predictions.batchGet.query({ id })).id).toBe(id);
    const range = { start: new Date(endHour - 2 * HOUR), end: new Date(endHour) };
    expect((await failure(aReader.predictions.batch.mutate({ model: 'load-forecast@1', range }))).code).toBe(
      'FORBIDDEN',
    );
  });
});
