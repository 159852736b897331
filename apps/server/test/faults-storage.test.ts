import { randomBytes } from 'node:crypto';
import { createS3Client } from '@aihub/storage';
import { deterministicBytes } from '@aihub/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { type FaultProxy, startFaultProxy, startTestServer, type TestServer } from '../src/testing.js';
import { putArtifact } from './models-support.js';

/*
 * An object store that hangs: it accepts connections and answers nothing. The server reaches the
 * store through a fault proxy of this file's own, paused by the test (the shared store is never
 * paused). Every call to the store has a timeout (S3_TIMEOUT_MS), so requests fail fast and
 * readiness says which dependency is failing.
 */

describe('object storage that stops answering', () => {
  let proxy: FaultProxy;
  let server: TestServer;
  let client: AihubClient;
  let key: string;

  beforeAll(async () => {
    const s3Url = new URL(process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080');
    proxy = await startFaultProxy({ host: s3Url.hostname, port: Number(s3Url.port) });
    server = await startTestServer({ S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, S3_TIMEOUT_MS: '1000' });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    key = (await root.projects.create.mutate({ name: 'hanging-store' })).adminKey.token;
    client = createAihubClient({ url: server.url, apiKey: key });
  });
  afterAll(async () => {
    proxy?.resume();
    await server?.stop();
    await proxy?.close();
  });

  it('answers an upload 503 after the timeout instead of waiting for the store, and readiness reports the store failing', async () => {
    const { version, upload } = await client.models.register.mutate({ name: 'hung', format: 'onnx' });
    proxy.pause();
    try {
      const started = performance.now();
      const put = await putArtifact(server.url, key, upload.path, deterministicBytes(1024));
      const tookMs = performance.now() - started;
      expect(put.status).toBe(503);
      expect(put.json.error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: 'Object storage is unavailable: Object storage did not answer within 1000 ms',
      });
      // One timeout per call to the store, not the store's own patience (the cleanup calls time out too).
      expect(tookMs).toBeLessThan(10_000);
      const failed = await client.models.get.query({ id: version.id });
      expect(failed).toMatchObject({
        status: 'failed',
        error: 'Object storage is unavailable: Object storage did not answer within 1000 ms',
      });

      const readiness = await client.health.ready.query();
      expect(readiness.ready).toBe(false);
      expect(readiness.checks.objectStorage).toMatchObject({ ok: false });
      expect(readiness.checks.objectStorage?.error).toMatch(/within (1000|2000) ms/);
      expect(readiness.checks.postgres).toMatchObject({ ok: true });
    } finally {
      proxy.resume();
    }
    // Answering again: ready (readiness is cached for a second), and the next upload goes through.
    await expect.poll(async () => (await client.health.ready.query()).ready, { timeout: 10_000 }).toBe(true);
    const next = await client.models.register.mutate({ name: 'hung', format: 'onnx' });
    const put = await putArtifact(server.url, key, next.upload.path, deterministicBytes(1024));
    expect(put.status).toBe(200);
  });
});

describe('unfinished multipart uploads left by a killed process', () => {
  it('are aborted by the sweep a worker process runs at start, once older than the limit', async () => {
    // Buckets of this test's own: the sweep must not touch other test files' uploads in progress.
    const suffix = randomBytes(4).toString('hex');
    const buckets = {
      S3_BUCKET_MODELS: `aihub-sweep-m-${suffix}`,
      S3_BUCKET_EXPORTS: `aihub-sweep-e-${suffix}`,
    };
    const s3 = createS3Client({
      endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080',
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKey: process.env.S3_ACCESS_KEY ?? 'aihub:admin',
      secretKey: process.env.S3_SECRET_KEY ?? 'aihub-secret',
    });
    const leftBehind = async (bucket: string, key: string) => {
      await s3.makeBucket(bucket, process.env.S3_REGION ?? 'us-east-1');
      const id = await s3.initiateNewMultipartUpload(bucket, key, {});
      await s3.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: id, partNumber: 1, headers: {} },
        Buffer.alloc(5 * 1024 * 1024, 1),
      );
    };
    const unfinished = async (bucket: string, key: string) =>
      (await s3.listIncompleteUploadsQuery(bucket, key, '', '', '/')).uploads.length;
    const modelKey = 'p/models/m/v1/artifact.onnx';
    const exportKey = 'p/exports/e/set-v1.parquet';
    await leftBehind(buckets.S3_BUCKET_MODELS, modelKey);
    await leftBehind(buckets.S3_BUCKET_EXPORTS, exportKey);
    // Older than the limit (1.8 s) by the time the server starts; Swift counts whole seconds.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const server = await startTestServer({ ...buckets, S3_STALE_UPLOAD_HOURS: '0.0005' });
    try {
      await expect
        .poll(
          async () =>
            (await unfinished(buckets.S3_BUCKET_MODELS, modelKey)) +
            (await unfinished(buckets.S3_BUCKET_EXPORTS, exportKey)),
          { timeout: 20_000 },
        )
        .toBe(0);
    } finally {
      await server.stop();
      for (const bucket of Object.values(buckets)) await s3.removeBucket(bucket).catch(() => {});
    }
  }, 60_000);
});
