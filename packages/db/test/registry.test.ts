import { EMPTY_LINEAGE, type NewModelVersion } from '@aihub/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgModelRegistryRepository } from '../src/index.js';
import { createTestDatabase, createTestPool, type TestDatabase } from '../src/testing.js';

// The repository against a real PostgreSQL: version allocation and the one-production rule under concurrency.
describe('PgModelRegistryRepository', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let repo: PgModelRegistryRepository;
  let projectId: string;
  const input = (name: string): NewModelVersion => ({
    projectId,
    name,
    format: 'onnx',
    declaredSizeBytes: null,
    declaredSha256: null,
    metrics: {},
    params: {},
    metadata: {},
    lineage: EMPTY_LINEAGE,
    actor: 'test',
  });
  const ready = async (name: string) => {
    const v = await repo.createVersion(input(name));
    await repo.claimUpload(projectId, v.id, 60_000);
    return repo.markReady(
      projectId,
      v.id,
      { sizeBytes: 1, sha256: 'a'.repeat(64), artifactKey: `k/${v.id}` },
      'test',
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createTestPool({ connectionString: db.url, max: 12 });
    repo = new PgModelRegistryRepository(pool);
    projectId = (
      await pool.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('reg-test') RETURNING id`)
    ).rows[0]!.id;
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('allocates versions 1..50 without gaps or duplicates under 50 concurrent registrations', async () => {
    const made = await Promise.all(Array.from({ length: 50 }, () => repo.createVersion(input('parallel'))));
    expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('keeps one production version when versions are promoted concurrently', async () => {
    const versions = [];
    for (let i = 0; i < 20; i++) versions.push(await ready('prod-race'));
    await Promise.all(
      versions.map((v) =>
        repo.promote(projectId, v.id, { to: 'production', demoteTo: 'archived', actor: 't', comment: null }),
      ),
    );
    const counts = await pool.query<{ stage: string; n: number }>(
      `SELECT stage, count(*)::int AS n FROM model_versions v JOIN registered_models m ON m.id = v.model_id
       WHERE m.name = 'prod-race' GROUP BY stage ORDER BY stage`,
    );
    expect(counts.rows).toEqual([
      { stage: 'production', n: 1 },
      { stage: 'archived', n: 19 },
    ]);
  });

  it('holds an upload claim for its lease only: then a retry takes over and the stale uploader can no longer publish', async () => {
    const v = await repo.createVersion(input('leased'));
    const first = await repo.claimUpload(projectId, v.id, 60_000);
    // Held: a second upload is refused while the lease runs, and renewing keeps it.
    await expect(repo.claimUpload(projectId, v.id, 60_000)).rejects.toThrow(/another upload is in progress/);
    expect(await repo.renewUpload(projectId, v.id, first.token, 300)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Expired (its process stopped renewing): a retry takes the version over.
    const second = await repo.claimUpload(projectId, v.id, 60_000);
    expect(second.token).not.toBe(first.token);
    expect(await repo.renewUpload(projectId, v.id, first.token, 60_000)).toBe(false);
    const artifact = { sizeBytes: 1, sha256: 'b'.repeat(64), artifactKey: `k/${v.id}` };
    await expect(repo.markReady(projectId, v.id, artifact, 'stale', first.token)).rejects.toThrow(
      /another upload took over/,
    );
    await repo.markFailed(projectId, v.id, 'stale uploader failed', 'stale', first.token);
    expect((await repo.get(projectId, { id: v.id })).status).toBe('pending');
    expect((await repo.markReady(projectId, v.id, artifact, 'retry', second.token)).status).toBe('ready');
  });

  it('fails pending versions whose upload lease expired, with the reason and an audit event, and no others', async () => {
    const abandoned = await repo.createVersion(input('abandoned'));
    const live = await repo.createVersion(input('live'));
    const unclaimed = await repo.createVersion(input('unclaimed'));
    await repo.claimUpload(projectId, abandoned.id, 1);
    await repo.claimUpload(projectId, live.id, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reason = 'the server receiving the upload stopped before it finished';
    const swept = await repo.failExpiredUploads(reason, 'upload-sweep');
    expect(swept.map((s) => s.id)).toEqual([abandoned.id]);
    expect(swept[0]).toMatchObject({ projectId, modelName: 'abandoned', version: 1, format: 'onnx' });
    const failed = await repo.get(projectId, { id: abandoned.id });
    expect(failed).toMatchObject({ status: 'failed', error: reason });
    expect((await repo.get(projectId, { id: live.id })).status).toBe('pending');
    expect((await repo.get(projectId, { id: unclaimed.id })).status).toBe('pending');
    const audit = await pool.query<{ action: string; actor: string; comment: string }>(
      `SELECT action, actor, comment FROM model_audit_events WHERE version_id = $1 AND action = 'failed'`,
      [abandoned.id],
    );
    expect(audit.rows).toEqual([{ action: 'failed', actor: 'upload-sweep', comment: reason }]);
    expect(await repo.failExpiredUploads(reason, 'upload-sweep')).toEqual([]);
  });

  it('refuses a ready status without an artifact at the database level', async () => {
    const v = await repo.createVersion(input('constraint'));
    await expect(
      pool.query(`UPDATE model_versions SET status = 'ready' WHERE id = $1`, [v.id]),
    ).rejects.toThrow(/model_versions_ready_has_artifact/);
  });

  it('answers the default list from the (project, created_at, id) index', async () => {
    await pool.query('ANALYZE model_versions');
    await pool.query('SET enable_seqscan = off');
    const plan = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM model_versions v WHERE v.project_id = $1 AND v.status <> 'deleting'
       ORDER BY v.created_at DESC, v.id DESC LIMIT 51`,
      [projectId],
    );
    await pool.query('RESET enable_seqscan');
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(
      'model_versions_project_id_created_at_id_idx',
    );
  });
});
