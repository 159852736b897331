import { createHash } from 'node:crypto';
import { PgModelRegistryRepository } from '@aihub/db';
import { createTestPool } from '@aihub/db/testing';
import { deterministicBytes, sha256OfDeterministic } from '@aihub/storage/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { codeOf, outcome, putArtifact, registerModel, s3Of } from './models-support.js';

describe('models.*: registration, stages, aliases, deletion, copy, download', () => {
  let server: TestServer;
  let pool: pg.Pool;
  let projectId: string;
  let admin: AihubClient;
  let writer: AihubClient;
  let reader: AihubClient;
  let writerKey: string;
  const register = (name: string, opts: { seed?: number; metrics?: Record<string, number> } = {}) =>
    registerModel(writer, server.url, writerKey, { name, ...opts });

  beforeAll(async () => {
    server = await startTestServer();
    pool = createTestPool({ connectionString: server.env.DATABASE_URL, max: 2 });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const a = await root.projects.create.mutate({ name: 'forecasting' });
    projectId = a.project.id;
    admin = createAihubClient({ url: server.url, apiKey: a.adminKey.token });
    writerKey = (await admin.keys.create.mutate({ name: 'trainer', role: 'writer' })).token;
    writer = createAihubClient({ url: server.url, apiKey: writerKey });
    reader = createAihubClient({
      url: server.url,
      apiKey: (await admin.keys.create.mutate({ name: 'dash', role: 'reader' })).token,
    });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  });

  it('registers in two steps; the version is ready with the sha256 of the bytes sent, JSON stored beside it', async () => {
    const { version, upload } = await writer.models.register.mutate({
      name: 'load-eu',
      format: 'other',
      description: 'day-ahead load',
      tags: { team: 'grid' },
      metrics: { mape: 0.08, rmse: 12.5 },
      params: { depth: 6 },
      lineage: { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'load_kw' },
      sizeBytes: 300_000,
      sha256: await sha256OfDeterministic(300_000, 9),
    });
    expect(version).toMatchObject({ version: 1, status: 'pending', stage: 'staging', createdBy: 'trainer' });
    expect(upload.path).toBe(`/v1/models/uploads/${version.id}`);
    const put = await putArtifact(server.url, writerKey, upload.path, deterministicBytes(300_000, 9));
    expect(put.status).toBe(200);
    const ready = await reader.models.get.query({ name: 'load-eu', version: 1 });
    expect(ready).toMatchObject({
      status: 'ready',
      sizeBytes: 300_000,
      sha256: await sha256OfDeterministic(300_000, 9),
    });
    expect(ready.artifactKey).toBe(`${projectId}/models/load-eu/v1/artifact.other`);
    const s3 = s3Of(server.env);
    const meta = JSON.parse(
      await readText(
        await s3.getObject(server.env.S3_BUCKET_MODELS, `${projectId}/models/load-eu/v1/metadata.json`),
      ),
    );
    expect(meta).toMatchObject({
      model: 'load-eu',
      version: 1,
      params: { depth: 6 },
      lineage: { featureSet: 'forecast_basic' },
    });
    // A second upload to the same version is refused: an artifact's bytes never change once ready.
    const again = await putArtifact(server.url, writerKey, upload.path, deterministicBytes(10, 1));
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'CONFLICT' } } });
    const history = await reader.models.history.query({ name: 'load-eu' });
    expect(history.map((e) => [e.action, e.actor, e.to])).toEqual([
      ['registered', 'trainer', 'pending'],
      ['ready', 'trainer', 'ready'],
    ]);
  });

  it('marks a version failed and keeps no object when the bytes differ from the declared sha256 or size', async () => {
    const { version, upload } = await writer.models.register.mutate({
      name: 'liar',
      format: 'json',
      sha256: 'a'.repeat(64),
    });
    const put = await putArtifact(server.url, writerKey, upload.path, deterministicBytes(5000, 2));
    expect(put.status).toBe(400);
    expect(put.json.error?.message).toContain('does not match what was declared');
    expect(await reader.models.get.query({ id: version.id })).toMatchObject({
      status: 'failed',
      artifactKey: null,
    });
    const sized = await writer.models.register.mutate({ name: 'liar', format: 'json', sizeBytes: 100 });
    const tooBig = await putArtifact(server.url, writerKey, sized.upload.path, deterministicBytes(5000, 2));
    expect(tooBig).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const listed = await reader.models.list.query({ nameContains: 'liar' });
    expect(listed.items.map((v) => v.status)).toEqual(['failed', 'failed']);
  });

  it('rejects bad input at every field with BAD_REQUEST naming it', async () => {
    const cases: [Promise<unknown>, string][] = [
      [writer.models.register.mutate({ name: 'has space', format: 'onnx' }), 'name'],
      [writer.models.register.mutate({ name: 'm', format: 'exe' as 'onnx' }), 'format'],
      [
        writer.models.register.mutate({ name: 'm', format: 'onnx', metrics: { mape: Number.NaN } }),
        'metrics.mape',
      ],
      [writer.models.register.mutate({ name: 'm', format: 'onnx', sha256: 'xyz' }), 'sha256'],
      [
        writer.models.register.mutate({
          name: 'm',
          format: 'onnx',
          lineage: { featureSet: 'forecast_basic' },
        }),
        'lineage.featureSetVersion',
      ],
      [
        writer.models.register.mutate({
          name: 'm',
          format: 'onnx',
          lineage: { featureSet: 'forecast_basic', featureSetVersion: 2 },
        }),
        'lineage.featureSet',
      ],
      [
        writer.models.register.mutate({
          name: 'm',
          format: 'onnx',
          lineage: { exportId: crypto.randomUUID() },
        }),
        'lineage.exportId',
      ],
      [
        writer.models.register.mutate({
          name: 'm',
          format: 'onnx',
          lineage: { trainingFrom: new Date(2), trainingTo: new Date(1) },
        }),
        'lineage.trainingTo',
      ],
      [reader.models.list.query({ metrics: ['mape <'] }), 'metrics.0'],
      [reader.models.list.query({ cursor: 'garbage' }), 'cursor'],
      [reader.models.list.query({ sort: 'metric' }), 'sortMetric'],
      [reader.models.get.query({ name: 'load-eu' }), 'name'],
      [reader.models.get.query({ id: crypto.randomUUID(), name: 'load-eu', version: 1 }), 'id'],
      [writer.models.setAlias.mutate({ name: 'load-eu', version: 1, alias: 'v2' }), 'alias'],
      [writer.models.setAlias.mutate({ name: 'load-eu', version: 1, alias: 'production' }), 'alias'],
      [writer.models.promote.mutate({ name: 'load-eu', version: 1, to: 'live' as 'production' }), 'to'],
    ];
    for (const [call] of cases) call.catch(() => {}); // batched: they settle before the loop reaches them
    for (const [call, field] of cases) {
      const result = await outcome(call);
      expect(result, field).toMatchObject({ code: 'BAD_REQUEST' });
      expect(result.fields, field).toContain(field);
    }
    const badPath = await putArtifact(
      server.url,
      writerKey,
      '/v1/models/uploads/not-a-uuid',
      deterministicBytes(1),
    );
    expect(badPath.status).toBe(400);
  });

  it('accepts lineage that exists: a stored feature set of the project and one of its exports', async () => {
    await pool.query(
      `INSERT INTO feature_sets (project_id, name, version, features, created_by) VALUES ($1, 'custom_set', 3, '{lag_1h}', 't')`,
      [projectId],
    );
    const exp = await pool.query<{ id: string }>(
      `INSERT INTO feature_exports (project_id, feature_set, feature_set_version, metric, params, created_by)
       VALUES ($1, 'custom_set', 3, 'load_kw', '{}', 't') RETURNING id`,
      [projectId],
    );
    const exportId = exp.rows[0]!.id;
    const lineage = {
      featureSet: 'custom_set',
      featureSetVersion: 3,
      exportId,
      trainingFrom: new Date('2026-01-01'),
      trainingTo: new Date('2026-06-01'),
    };
    const { version } = await writer.models.register.mutate({
      name: 'with-lineage',
      format: 'joblib',
      lineage,
    });
    expect(version.lineage).toMatchObject({ ...lineage, targetMetric: null });
    const wrongVersion = await outcome(
      writer.models.register.mutate({
        name: 'x',
        format: 'joblib',
        lineage: { ...lineage, featureSetVersion: 4 },
      }),
    );
    expect(wrongVersion.fields).toEqual(['lineage.featureSet']);
  });

  it('allows exactly the documented stage transitions', async () => {
    const allowed = new Set([
      'staging>production',
      'staging>archived',
      'production>archived',
      'archived>staging',
    ]);
    const stages = ['staging', 'production', 'archived'] as const;
    for (const from of stages) {
      for (const to of stages) {
        if (from === to) continue;
        const v = await register(`t-${from}-${to}`);
        if (from === 'production') await writer.models.promote.mutate({ id: v.id, to: 'production' });
        if (from === 'archived') await writer.models.promote.mutate({ id: v.id, to: 'archived' });
        const result = await codeOf(writer.models.promote.mutate({ id: v.id, to }));
        expect(result, `${from} -> ${to}`).toBe(allowed.has(`${from}>${to}`) ? 'OK' : 'PRECONDITION_FAILED');
      }
    }
    const pending = await writer.models.register.mutate({ name: 'not-uploaded', format: 'onnx' });
    expect(await codeOf(writer.models.promote.mutate({ id: pending.version.id, to: 'production' }))).toBe(
      'PRECONDITION_FAILED',
    );
    // Asking for the stage a version already has changes nothing.
    const v = await register('idempotent');
    expect((await writer.models.promote.mutate({ id: v.id, to: 'staging' })).version.stage).toBe('staging');
  });

  it('moves the previous production version to archived, or to staging on request, recording both', async () => {
    const v1 = await register('promo');
    const v2 = await register('promo');
    const v3 = await register('promo');
    await writer.models.promote.mutate({ id: v1.id, to: 'production' });
    const second = await writer.models.promote.mutate({
      name: 'promo',
      version: 2,
      to: 'production',
      comment: 'better mape',
    });
    expect(second.demoted).toMatchObject({ id: v1.id, stage: 'archived' });
    const third = await writer.models.promote.mutate({ id: v3.id, to: 'production', demoteTo: 'staging' });
    expect(third.demoted).toMatchObject({ id: v2.id, stage: 'staging' });
    expect((await reader.models.get.query({ name: 'promo', stage: 'production' })).id).toBe(v3.id);
    const events = await reader.models.history.query({ name: 'promo', version: 2 });
    expect(events.filter((e) => e.action === 'stage_changed').map((e) => [e.from, e.to, e.comment])).toEqual([
      ['staging', 'production', 'better mape'],
      ['production', 'staging', 'replaced by v3'],
    ]);
  });

  it('moves aliases atomically, resolves them, and refuses them on versions that are not ready', async () => {
    const v1 = await register('aliased');
    const v2 = await register('aliased');
    await writer.models.setAlias.mutate({ id: v1.id, alias: 'champion' });
    await writer.models.setAlias.mutate({ name: 'aliased', version: 2, alias: 'challenger' });
    expect((await reader.models.get.query({ name: 'aliased', alias: 'champion' })).id).toBe(v1.id);
    const moved = await writer.models.setAlias.mutate({
      id: v2.id,
      alias: 'champion',
      comment: 'won the A/B test',
    });
    expect(moved.aliases).toEqual(['challenger', 'champion']);
    expect((await reader.models.get.query({ id: v1.id })).aliases).toEqual([]);
    expect((await reader.models.list.query({ alias: 'champion' })).items.map((v) => v.id)).toEqual([v2.id]);
    await writer.models.removeAlias.mutate({ name: 'aliased', alias: 'challenger' });
    expect(await codeOf(reader.models.get.query({ name: 'aliased', alias: 'challenger' }))).toBe('NOT_FOUND');
    expect(await codeOf(writer.models.removeAlias.mutate({ name: 'aliased', alias: 'challenger' }))).toBe(
      'NOT_FOUND',
    );
    const events = await reader.models.history.query({ name: 'aliased' });
    expect(events.filter((e) => e.action.startsWith('alias')).map((e) => [e.action, e.from, e.to])).toEqual([
      ['alias_set', null, 'champion@v1'],
      ['alias_set', null, 'challenger@v2'],
      ['alias_set', 'champion@v1', 'champion@v2'],
      ['alias_removed', 'challenger@v2', null],
    ]);
    const pending = await writer.models.register.mutate({ name: 'aliased', format: 'onnx' });
    expect(await codeOf(writer.models.setAlias.mutate({ id: pending.version.id, alias: 'next' }))).toBe(
      'PRECONDITION_FAILED',
    );
  });

  it('lists with filters, metric comparisons, sorting and cursor pagination', async () => {
    const mapes = [0.3, 0.05, 0.12, 0.09, 0.5, 0.01];
    for (const [i, mape] of mapes.entries()) await register('search-me', { seed: i, metrics: { mape } });
    const good = await reader.models.list.query({
      nameContains: 'search',
      metrics: ['mape < 0.1'],
      sort: 'metric',
      sortMetric: 'mape',
      order: 'asc',
    });
    expect(good.items.map((v) => v.metrics.mape)).toEqual([0.01, 0.05, 0.09]);
    const between = await reader.models.list.query({
      nameContains: 'search',
      metrics: ['mape>=0.09', 'mape <= 0.3'],
    });
    expect(between.items.map((v) => v.version)).toEqual([4, 3, 1]);
    expect((await reader.models.list.query({ tag: 'team=grid' })).items.map((v) => v.modelName)).toEqual([
      'load-eu',
    ]);
    expect((await reader.models.list.query({ tag: 'team=other' })).items).toEqual([]);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.models.list.query({
        nameContains: 'search-me',
        limit: 4,
        sort: 'version',
        order: 'asc',
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((v) => v.version));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const first = await reader.models.list.query({ limit: 2 });
    expect(await codeOf(reader.models.list.query({ cursor: first.nextCursor!, sort: 'name' }))).toBe(
      'BAD_REQUEST',
    );
  });

  it('deletes staging versions with their objects, production ones only with force and an admin key, and finishes a halfway delete', async () => {
    const v = await register('doomed');
    const s3 = s3Of(server.env);
    const prefix = `${projectId}/models/doomed/v1/`;
    const keys = async () => {
      const out: string[] = [];
      for await (const item of s3.listObjectsV2(server.env.S3_BUCKET_MODELS, prefix, true))
        out.push(item.name ?? '');
      return out.sort();
    };
    expect(await keys()).toEqual([
      `${prefix}artifact.onnx`,
      `${prefix}metadata.json`,
      `${prefix}metrics.json`,
    ]);
    expect(await writer.models.delete.mutate({ id: v.id, comment: 'superseded' })).toMatchObject({
      objectsRemoved: 3,
    });
    expect(await keys()).toEqual([]);
    expect(await codeOf(reader.models.get.query({ id: v.id }))).toBe('NOT_FOUND');
    const tomb = (await reader.models.history.query({ name: 'doomed' })).at(-1);
    expect(tomb).toMatchObject({
      action: 'deleted',
      actor: 'trainer',
      from: 'staging/ready',
      comment: 'superseded',
      version: 1,
    });

    const prod = await register('doomed');
    await writer.models.promote.mutate({ id: prod.id, to: 'production' });
    expect(await codeOf(writer.models.delete.mutate({ id: prod.id }))).toBe('PRECONDITION_FAILED');
    expect(await codeOf(writer.models.delete.mutate({ id: prod.id, force: true }))).toBe('FORBIDDEN');
    expect(
      await codeOf(admin.models.delete.mutate({ name: 'doomed', stage: 'production', force: true })),
    ).toBe('OK');

    // A delete that stopped after the database step (e.g. the store went away) is finished by calling again.
    const half = await register('doomed');
    await new PgModelRegistryRepository(pool).beginDelete(projectId, half.id, {
      force: false,
      actorIsAdmin: false,
      actor: 'x',
      comment: null,
    });
    expect(await codeOf(reader.models.get.query({ id: half.id }))).toBe('NOT_FOUND');
    expect((await writer.models.delete.mutate({ id: half.id })).objectsRemoved).toBe(3);
    const deletions = (await reader.models.history.query({ name: 'doomed', version: 3 })).filter(
      (e) => e.action === 'deleted',
    );
    expect(deletions).toHaveLength(1);
  });

  it('copies a version to another model with its artifact, and downloads through a presigned URL', async () => {
    const source = await register('original', { seed: 42 });
    const copy = await writer.models.copy.mutate({ name: 'original', version: 1, toName: 'promoted-copy' });
    expect(copy).toMatchObject({
      modelName: 'promoted-copy',
      version: 1,
      status: 'ready',
      sha256: source.sha256,
    });
    const dl = await reader.models.download.query({ id: copy.id, expiresInSeconds: 120 });
    expect(dl).toMatchObject({ sha256: source.sha256, sizeBytes: 1024, fileName: 'promoted-copy-v1.onnx' });
    const res = await fetch(dl.url);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(await sha256OfDeterministic(1024, 42));
    expect(await reader.models.verify.query({ id: copy.id })).toMatchObject({ ok: true });
    const pending = await writer.models.register.mutate({ name: 'original', format: 'onnx' });
    expect(await codeOf(reader.models.download.query({ id: pending.version.id }))).toBe(
      'PRECONDITION_FAILED',
    );
  });

  it('enforces roles on every procedure and on the upload endpoint', async () => {
    const v = await register('guarded');
    const id = v.id;
    const refused = [
      reader.models.register.mutate({ name: 'r', format: 'onnx' }),
      reader.models.promote.mutate({ id, to: 'production' }),
      reader.models.setAlias.mutate({ id, alias: 'champion' }),
      reader.models.removeAlias.mutate({ name: 'guarded', alias: 'champion' }),
      reader.models.delete.mutate({ id }),
      reader.models.copy.mutate({ id, toName: 'r' }),
    ];
    for (const call of refused) call.catch(() => {});
    for (const call of refused) expect(await codeOf(call)).toBe('FORBIDDEN');
    const anonymous = createAihubClient({ url: server.url });
    for (const call of [
      anonymous.models.list.query(),
      anonymous.models.get.query({ id }),
      anonymous.models.history.query({ name: 'guarded' }),
    ]) {
      expect(await codeOf(call)).toBe('UNAUTHORIZED');
    }
    const pending = await writer.models.register.mutate({ name: 'guarded', format: 'onnx' });
    const readerKey = (await admin.keys.create.mutate({ name: 'ro', role: 'reader' })).token;
    expect(
      (await putArtifact(server.url, readerKey, pending.upload.path, deterministicBytes(10))).status,
    ).toBe(403);
    expect(
      (await putArtifact(server.url, undefined, pending.upload.path, deterministicBytes(10))).status,
    ).toBe(401);
    expect((await reader.models.get.query({ id: pending.version.id })).status).toBe('pending');
  });

  it('keeps projects apart: another project sees none of these versions and cannot touch them', async () => {
    const v = await register('private');
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const other = await root.projects.create.mutate({ name: 'other-team' });
    const b = createAihubClient({ url: server.url, apiKey: other.adminKey.token });
    expect((await b.models.list.query()).items).toEqual([]);
    const id = v.id;
    const foreign = [
      b.models.get.query({ id }),
      b.models.get.query({ name: 'private', version: 1 }),
      b.models.promote.mutate({ id, to: 'production' }),
      b.models.setAlias.mutate({ id, alias: 'mine' }),
      b.models.removeAlias.mutate({ name: 'private', alias: 'mine' }),
      b.models.delete.mutate({ id, force: true }),
      b.models.copy.mutate({ id, toName: 'stolen' }),
      b.models.download.query({ id }),
      b.models.verify.query({ id }),
      b.models.history.query({ name: 'private' }),
    ];
    for (const call of foreign) call.catch(() => {});
    for (const call of foreign) {
      expect(await codeOf(call)).toBe('NOT_FOUND');
    }
    const pending = await writer.models.register.mutate({ name: 'private', format: 'onnx' });
    const put = await putArtifact(
      server.url,
      other.adminKey.token,
      pending.upload.path,
      deterministicBytes(10),
    );
    expect(put.status).toBe(404);
    expect((await reader.models.get.query({ id })).status).toBe('ready');
  });
});

async function readText(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
