import { createHash } from 'node:crypto';
import { createTestPool } from '@aihub/db/testing';
import { deterministicBytes, sha256OfDeterministic, sha256OfStream } from '@aihub/storage/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { outcome, putArtifact, registerModel, s3Of } from './models-support.js';

// Concurrency, a large artifact, corruption and an object store that is down: the registry's hard cases.
describe('models.*: concurrency, large artifacts and failures', () => {
  let server: TestServer;
  let client: AihubClient;
  let key: string;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const created = await root.projects.create.mutate({ name: 'hard-cases' });
    key = created.adminKey.token;
    projectId = created.project.id;
    client = createAihubClient({ url: server.url, apiKey: key });
  });
  afterAll(async () => server?.stop());

  it('gives 20 parallel registrations of one model the distinct versions 1..20', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client.models.register.mutate({ name: 'racy', format: 'onnx' })),
    );
    expect(results.map((r) => r.version.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('ends 20 parallel promotions with exactly one production version, as the database enforces', async () => {
    const versions = [];
    for (let i = 0; i < 20; i++)
      versions.push(await registerModel(client, server.url, key, { name: 'contested', seed: i }));
    const results = await Promise.all(
      versions.map((v) => outcome(client.models.promote.mutate({ id: v.id, to: 'production' }))),
    );
    expect(results.every((r) => r.code === 'OK')).toBe(true);
    const production = await client.models.list.query({ nameContains: 'contested', stage: 'production' });
    expect(production.items).toHaveLength(1);
    expect(
      (await client.models.list.query({ nameContains: 'contested', stage: 'archived' })).items,
    ).toHaveLength(19);
    // And the database refuses a second one even when the application is bypassed.
    const pool = createTestPool({ connectionString: server.env.DATABASE_URL, max: 1 });
    try {
      const other = versions.find((v) => v.id !== production.items[0]?.id);
      await expect(
        pool.query(`UPDATE model_versions SET stage = 'production' WHERE id = $1`, [other?.id]),
      ).rejects.toThrow(/model_versions_one_production/);
    } finally {
      await pool.end();
    }
  });

  it('round-trips a 256 MB artifact through the server with its sha256, streamed both ways', async () => {
    const size = 256 * 1024 * 1024;
    const sha256 = await sha256OfDeterministic(size, 11);
    const { version, upload } = await client.models.register.mutate({
      name: 'big',
      format: 'safetensors',
      sizeBytes: size,
      sha256,
    });
    const put = await putArtifact(server.url, key, upload.path, deterministicBytes(size, 11));
    expect(put.status).toBe(200);
    expect(await client.models.get.query({ id: version.id })).toMatchObject({
      status: 'ready',
      sizeBytes: size,
      sha256,
    });
    const download = await client.models.download.query({ id: version.id });
    const res = await fetch(download.url);
    const got = await sha256OfStream(res.body as unknown as AsyncIterable<Uint8Array>);
    expect(got).toEqual({ sha256, size });
    expect(await client.models.verify.query({ id: version.id })).toMatchObject({ ok: true, sha256 });
  }, 240_000);

  it('detects an artifact corrupted in the store: verify fails loudly and the download does not hash to the recorded sha256', async () => {
    const v = await registerModel(client, server.url, key, { name: 'tampered', size: 64 * 1024, seed: 3 });
    const s3 = s3Of(server.env);
    const bad = Buffer.alloc(64 * 1024, 7);
    await s3.putObject(server.env.S3_BUCKET_MODELS, v.artifactKey!, bad, bad.length);
    const verify = await outcome(client.models.verify.query({ id: v.id }));
    expect(verify.code).toBe('PRECONDITION_FAILED');
    expect(verify.message).toContain(`expected ${v.sha256}`);
    expect(verify.message).toContain(createHash('sha256').update(bad).digest('hex'));
    const download = await client.models.download.query({ id: v.id });
    expect(download.sha256).toBe(v.sha256);
    const fetched = createHash('sha256')
      .update(Buffer.from(await (await fetch(download.url)).arrayBuffer()))
      .digest('hex');
    expect(fetched).not.toBe(download.sha256);
  });

  it('marks a version failed when the client disconnects in the middle of its upload', async () => {
    const { version, upload } = await client.models.register.mutate({ name: 'dropped', format: 'onnx' });
    const controller = new AbortController();
    async function* slow() {
      yield* deterministicBytes(20 * 1024 * 1024, 5);
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      yield Buffer.alloc(10);
    }
    await expect(
      putArtifactAbortable(server.url, key, upload.path, slow(), controller.signal),
    ).rejects.toThrow();
    await expect
      .poll(async () => (await client.models.get.query({ id: version.id })).status, { timeout: 10_000 })
      .toBe('failed');
    // Recorded as what happened (the client went away), not as an object store outage.
    const failed = await client.models.get.query({ id: version.id });
    expect(failed.error).toMatch(
      /^The upload stopped before its end: the client disconnected after \d+ bytes$/,
    );
    // Its multipart upload (20 MiB is more than one part) was aborted: no parts stay in the store.
    const unfinished = await s3Of(server.env).listIncompleteUploadsQuery(
      server.env.S3_BUCKET_MODELS,
      `${projectId}/models/dropped/v1/artifact.onnx`,
      '',
      '',
      '/',
    );
    expect(unfinished.uploads).toEqual([]);
    const leftovers = [];
    for await (const item of s3Of(server.env).listObjectsV2(
      server.env.S3_BUCKET_MODELS,
      `${projectId}/models/dropped/`,
      true,
    ))
      leftovers.push(item);
    expect(leftovers).toEqual([]);
  });

  it('when the object store is down, leaves the version failed and tells the client the store is unavailable', async () => {
    const broken = await startTestServer({ S3_ENDPOINT: 'http://127.0.0.1:1' });
    try {
      const admin = createAihubClient({ url: broken.url, apiKey: broken.adminKey });
      const { version, upload } = await admin.models.register.mutate({ name: 'no-store', format: 'onnx' });
      const put = await putArtifact(broken.url, broken.adminKey, upload.path, deterministicBytes(1024));
      expect(put.status).toBe(503);
      expect(put.json.error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: 'Object storage is unavailable',
      });
      const after = await admin.models.get.query({ id: version.id });
      expect(after).toMatchObject({ status: 'failed', artifactKey: null, sha256: null });
      expect((await admin.models.list.query({ status: 'ready' })).items).toEqual([]);
      const download = await outcome(admin.models.download.query({ id: version.id }));
      expect(download.code).toBe('PRECONDITION_FAILED');
    } finally {
      await broken.stop();
    }
  });
});

async function putArtifactAbortable(
  baseUrl: string,
  apiKey: string,
  path: string,
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<Response> {
  const { Readable } = await import('node:stream');
  return fetch(new URL(path, baseUrl), {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}` },
    body: Readable.toWeb(Readable.from(body)) as ReadableStream,
    duplex: 'half',
    signal,
  } as RequestInit);
}
