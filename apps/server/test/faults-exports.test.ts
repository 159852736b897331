import { createTestDatabase, createTestPool, type TestDatabase } from '@aihub/db/testing';
import { createS3Client } from '@aihub/storage';
import type * as Minio from 'minio';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { type FaultProxy, startFaultProxy, startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, HOUR, seedHistory, waitFor } from './support/feature-data.js';

/*
 * The object store failing in the middle of an export's upload. The server reaches S3 through a
 * fault proxy of this file's own (the shared store keeps serving everyone else); the test refuses
 * and resets its connections while the export's first part is on its way.
 */

const ENTITIES = 30;
const HOURS = 1000;
// 40 features of 30,000 rows: a Parquet file of several 5 MiB parts.
const FEATURES = [
  ...Array.from({ length: 24 }, (_, i) => `lag_${i + 1}h`),
  ...[6, 12, 24, 48].flatMap((n) => ['mean', 'std', 'min', 'max'].map((s) => `rolling_${n}h_${s}`)),
];

describe('exports when the object store fails mid-upload', () => {
  let proxy: FaultProxy;
  let server: TestServer;
  let client: AihubClient;
  let s3: Minio.Client;
  let endHour: number;

  beforeAll(async () => {
    const s3Url = new URL(process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080');
    proxy = await startFaultProxy({ host: s3Url.hostname, port: Number(s3Url.port) });
    server = await startTestServer({
      S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      S3_PART_SIZE_MB: '5',
      S3_TIMEOUT_MS: '2000',
      EXPORT_CONCURRENCY: '1',
    });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    client = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'export-faults' })).adminKey.token,
    });
    s3 = createS3Client({
      endpoint: s3Url.toString(),
      region: server.env.S3_REGION,
      accessKey: server.env.S3_ACCESS_KEY,
      secretKey: server.env.S3_SECRET_KEY,
    });
    endHour = currentHour();
    await client.ingest.entities.mutate({
      records: Array.from({ length: ENTITIES }, (_, e) => ({ entity_id: `e${e}` })),
    });
    for (let e = 0; e < ENTITIES; e += 5) {
      const records = [];
      for (let k = e; k < e + 5; k++) {
        for (let h = 1; h <= HOURS + 48; h++) {
          records.push({
            entity_id: `e${k}`,
            metric: 'kwh',
            ts: new Date(endHour - h * HOUR + 20 * 60_000).toISOString(),
            value: Math.round((Math.sin(h / 7 + k) * 50 + k + h / 1000) * 1e6) / 1e6,
          });
        }
      }
      await client.ingest.readings.mutate({ records, strict: true });
    }
    await client.aggregates.refresh.mutate();
    await client.features.defineSet.mutate({ name: 'wide', features: FEATURES });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
  });

  const range = () => ({ start: new Date(endHour - HOURS * HOUR), end: new Date(endHour) });

  async function unfinishedUploads(key: string): Promise<string[]> {
    const result = await s3.listIncompleteUploadsQuery(server.env.S3_BUCKET_EXPORTS, key, '', '', '/');
    return result.uploads.filter((u) => u.key === key).map((u) => u.uploadId);
  }

  async function objectsUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of s3.listObjectsV2(server.env.S3_BUCKET_EXPORTS, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys;
  }

  it('fails the export within seconds with the object store error, frees its worker, and removes its upload', async () => {
    const before = proxy.bytes('up');
    const started = await client.features.export.mutate({
      featureSet: 'wide',
      metric: 'kwh',
      range: range(),
    });
    expect(started.totalRows).toBe(ENTITIES * HOURS);
    // The first part (5 MiB) is on its way: the store goes away, refusing every connection.
    await proxy.waitForBytes(before + 1024 * 1024 - proxy.bytes('up'), 'up');
    proxy.refuse(true);
    proxy.resetAll();
    const cutAt = Date.now();
    const failed = await waitFor(
      () => client.features.exportGet.query({ id: started.id }),
      (e) => e.status !== 'queued' && e.status !== 'running',
      30_000,
    );
    const tookMs = Date.now() - cutAt;
    proxy.refuse(false);
    expect(failed).toMatchObject({ status: 'failed', error: 'Object storage is unavailable' });
    expect(tookMs).toBeLessThan(15_000);

    // Its worker is free: with one export at a time, the next export runs and succeeds.
    const next = await client.features.export.mutate({
      featureSet: 'wide',
      metric: 'kwh',
      range: { start: new Date(endHour - 24 * HOUR), end: new Date(endHour) },
    });
    const done = await waitFor(
      () => client.features.exportGet.query({ id: next.id }),
      (e) => e.status === 'succeeded' || e.status === 'failed',
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: ENTITIES * 24 });

    // Nothing of the failed export stays in the store: no object, and (once the store answers
    // again) no unfinished multipart upload holding its parts.
    const key = `${started.projectId}/exports/${started.id}/wide-v1.parquet`;
    expect(await objectsUnder(`${started.projectId}/exports/${started.id}/`)).toEqual([]);
    await waitFor(
      () => unfinishedUploads(key),
      (ids) => ids.length === 0,
      30_000,
    );
  }, 120_000);
});

describe('exports that cannot finish: their deadline, and a server shutting down', () => {
  let proxy: FaultProxy;
  let database: TestDatabase;
  let db: pg.Pool;

  beforeAll(async () => {
    const s3Url = new URL(process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080');
    proxy = await startFaultProxy({ host: s3Url.hostname, port: Number(s3Url.port) });
    database = await createTestDatabase();
    db = createTestPool({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    proxy?.resume();
    await db?.end();
    await database?.drop();
    await proxy?.close();
  });

  /** A server on this file's database, its object store reached through the proxy, and a seeded project. */
  const serve = async (project: string, overrides: Record<string, string> = {}) => {
    const server = await startTestServer(
      { S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, S3_TIMEOUT_MS: '5000', ...overrides },
      { database },
    );
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const client = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: project })).adminKey.token,
    });
    const endHour = currentHour();
    await seedHistory(client, endHour, 48);
    const range = { start: new Date(endHour - 24 * HOUR), end: new Date(endHour) };
    return { server, client, range };
  };
  const record = async (id: string) =>
    (
      await db.query<{ status: string; error: string | null }>(
        'SELECT status, error FROM feature_exports WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('fails an export at its own deadline, and gives the job queue an expiry that applies', async () => {
    const { server, client, range } = await serve('deadline', { EXPORT_TIMEOUT_SECONDS: '1' });
    try {
      // pg-boss applies the queue's expire_seconds (it was NULL: the 15-minute default applied).
      const queue = await db.query<{ expire_seconds: number | null }>(
        `SELECT expire_seconds FROM pgboss.queue WHERE name = 'feature-exports'`,
      );
      expect(queue.rows[0]?.expire_seconds).toBe(1 + 300);

      proxy.pause();
      const started = await client.features.export.mutate({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        range,
      });
      const failed = await waitFor(
        () => client.features.exportGet.query({ id: started.id }),
        (e) => e.status !== 'queued' && e.status !== 'running',
        20_000,
      );
      expect(failed).toMatchObject({
        status: 'failed',
        error: 'The export did not finish within 1 s (EXPORT_TIMEOUT_SECONDS)',
      });
    } finally {
      proxy.resume();
      await server.stop();
    }
  }, 60_000);

  it('records an export that a shutdown interrupts as failed for that reason, not left running', async () => {
    const { server, client, range } = await serve('shutdown');
    let id = '';
    try {
      proxy.pause();
      const started = await client.features.export.mutate({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        range,
      });
      id = started.id;
      await waitFor(
        () => client.features.exportGet.query({ id }),
        (e) => e.status === 'running',
        20_000,
      );
    } finally {
      await server.stop();
      proxy.resume();
    }
    expect(await record(id)).toEqual({
      status: 'failed',
      error: 'The server shut down during the export; start the export again',
    });
  }, 60_000);
});
