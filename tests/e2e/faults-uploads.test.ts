import { request } from 'node:http';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { createAihubClient } from '@aihub/server/client';
import { createS3Client } from '@aihub/storage';
import { deterministicBytes } from '@aihub/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../support/processes.js';

/*
 * A server process killed (SIGKILL) in the middle of an artifact upload: its claim on the version
 * stops being renewed, and another server process marks the version failed with the reason and
 * frees what it had stored, including the unfinished multipart upload.
 */

const adminKey = `aihub_faultup1_${'u'.repeat(43)}`;

describe('an artifact upload whose server is killed', () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  const s3 = createS3Client({
    endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080',
    region: process.env.S3_REGION ?? 'us-east-1',
    accessKey: process.env.S3_ACCESS_KEY ?? 'aihub:admin',
    secretKey: process.env.S3_SECRET_KEY ?? 'aihub-secret',
  });
  const bucket = process.env.S3_BUCKET_MODELS ?? 'aihub-models';
  const env = () => ({
    DATABASE_URL: database.url,
    AIHUB_MIGRATE_ON_START: 'false',
    AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
    MODEL_UPLOAD_LEASE_SECONDS: '2',
    S3_PART_SIZE_MB: '5',
  });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await database?.drop();
  });

  it('is failed with the reason by another server once its lease expires, its parts aborted', async () => {
    const first = await spawnServer(env());
    servers.push(first);
    const root = createAihubClient({ url: first.url, apiKey: adminKey });
    const created = await root.projects.create.mutate({ name: 'killed-upload' });
    const token = created.adminKey.token;
    const client = createAihubClient({ url: first.url, apiKey: token });
    const { version, upload } = await client.models.register.mutate({ name: 'orphan', format: 'onnx' });

    // 12 MiB of a larger artifact: two 5 MiB parts reach the store, then the server is killed.
    const req = request(new URL(upload.path, first.url), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    });
    req.on('error', () => {});
    for await (const chunk of deterministicBytes(12 * 1024 * 1024, 3)) {
      if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
    }
    const key = `${created.project.id}/models/orphan/v1/artifact.onnx`;
    const unfinished = async () =>
      (await s3.listIncompleteUploadsQuery(bucket, key, '', '', '/')).uploads.filter((u) => u.key === key);
    await expect.poll(async () => (await unfinished()).length, { timeout: 20_000 }).toBe(1);
    first.child.kill('SIGKILL');
    req.destroy();
    expect((await client.models.get.query({ id: version.id }).catch(() => null)) ?? 'gone').toBe('gone');

    // Another server process (or this one restarted) finds the expired claim.
    const second = await spawnServer(env());
    servers.push(second);
    const after = createAihubClient({ url: second.url, apiKey: token });
    await expect
      .poll(async () => (await after.models.get.query({ id: version.id })).status, { timeout: 20_000 })
      .toBe('failed');
    expect((await after.models.get.query({ id: version.id })).error).toBe(
      'The upload stopped: the server receiving it was stopped or lost before it finished',
    );
    await expect.poll(async () => (await unfinished()).length, { timeout: 10_000 }).toBe(0);
    const history = await after.models.history.query({ name: 'orphan' });
    expect(history.map((e) => e.action)).toContain('failed');
  }, 120_000);
});
