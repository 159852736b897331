import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { createS3Client } from '@aihub/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  isolatedCli,
  jsonCommand,
  type ServerProcess,
  spawnServer,
} from '../support/processes.js';

const adminKey = `aihub_e2emod01_${'m'.repeat(43)}`;

describe('end to end: the model registry from the bundled CLI', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let cli: (args: string[]) => Promise<CliResult>;
  let dir: string;
  let artifact: Buffer;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    const run = await isolatedCli();
    cli = (args) => run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
    dir = await mkdtemp(join(tmpdir(), 'aihub-models-'));
    artifact = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(dir, 'model.bin'), artifact);
    await writeFile(join(dir, 'metrics.json'), JSON.stringify({ mape: 0.072, rmse: 11.4 }));
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary CLI JSON
  const json = (args: string[]) => jsonCommand(cli)(args) as Promise<any>;

  it('registers, lists, promotes, aliases, downloads (verified), copies, deletes and shows the history', async () => {
    const sha256 = createHash('sha256').update(artifact).digest('hex');
    const file = join(dir, 'model.bin');
    const v1 = await json([
      'models',
      'register',
      '--name',
      'load',
      '--file',
      file,
      '--metrics',
      join(dir, 'metrics.json'),
      '--feature-set',
      'forecast_basic@1',
      '--metric',
      'load_kw',
    ]);
    expect(v1).toMatchObject({
      version: 1,
      status: 'ready',
      sha256,
      sizeBytes: artifact.length,
      lineage: { featureSet: 'forecast_basic', targetMetric: 'load_kw' },
    });
    const v2 = await json([
      'models',
      'register',
      '--name',
      'load',
      '--file',
      file,
      '--metrics',
      'mape=0.061,rmse=10.2',
    ]);
    expect(v2).toMatchObject({ version: 2, metrics: { mape: 0.061, rmse: 10.2 } });
    const good = await json(['models', 'list', '--where', 'mape < 0.07']);
    expect(good.items.map((v: { version: number }) => v.version)).toEqual([2]);
    expect(await json(['models', 'promote', 'load@2', '--to', 'production'])).toMatchObject({
      version: { stage: 'production' },
    });
    await json(['models', 'alias', 'set', 'load@1', 'challenger']);
    expect(await json(['models', 'show', 'load@challenger'])).toMatchObject({
      version: 1,
      aliases: ['challenger'],
    });
    const out = join(dir, 'downloaded.onnx');
    expect(await json(['models', 'download', 'load@production', '--output', out])).toMatchObject({
      sha256,
      verified: true,
    });
    expect(
      createHash('sha256')
        .update(await readFile(out))
        .digest('hex'),
    ).toBe(sha256);
    expect(await json(['models', 'copy', 'load@challenger', '--to', 'load-eu'])).toMatchObject({
      modelName: 'load-eu',
      version: 1,
      sha256,
    });
    expect(await json(['models', 'delete', 'load@1', '--comment', 'superseded'])).toMatchObject({
      objectsRemoved: 3,
    });
    const refused = await cli(['models', 'delete', 'load@production']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'aihub: load v2 is in production; pass force to delete it [PRECONDITION_FAILED]\n',
    );
    const history = await json(['models', 'history', 'load']);
    expect(history.map((e: { action: string }) => e.action)).toEqual([
      'registered',
      'ready',
      'registered',
      'ready',
      'stage_changed',
      'alias_set',
      'deleted',
    ]);
    const table = await cli(['models', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^MODELNAME\s+VERSION\s+STAGE\s+STATUS/);
  });

  it('refuses to keep a download whose bytes were corrupted in the store', async () => {
    const v = await json(['models', 'show', 'load-eu@1']);
    const s3 = createS3Client({
      endpoint: process.env.S3_ENDPOINT ?? '',
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKey: process.env.S3_ACCESS_KEY ?? '',
      secretKey: process.env.S3_SECRET_KEY ?? '',
    });
    const tampered = Buffer.from(artifact);
    tampered[1000] = (tampered[1000] ?? 0) ^ 1;
    await s3.putObject(
      process.env.S3_BUCKET_MODELS ?? 'aihub-models',
      v.artifactKey,
      tampered,
      tampered.length,
    );
    const out = join(dir, 'tampered.onnx');
    const result = await cli(['models', 'download', 'load-eu@1', '--output', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aihub: sha256 mismatch: the registry recorded [0-9a-f]{64}/);
    await expect(stat(out)).rejects.toThrow();
    await expect(stat(`${out}.part`)).rejects.toThrow();
  });

  it('reports bad usage with exit code 2', async () => {
    const bad = await cli(['models', 'show', 'no-selector']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a version reference/);
    const missing = await cli(['models', 'register', '--name', 'x', '--file', join(dir, 'nope.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
