import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, readMigrations } from '../src/index.js';
import { createEmptyDatabase, type TestDatabase } from '../src/testing.js';
import { diffPrismaSchemaAgainstDatabase } from './schema-diff.js';

const schemaPath = new URL('../prisma/schema.prisma', import.meta.url).pathname;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(async () => db.drop());

  it('applies every migration to a fresh database, concurrently with another migrator, and records them as Prisma does', async () => {
    const expected = (await readMigrations()).map((m) => m.name);
    const [a, b] = await Promise.all([migrate({ url: db.url }), migrate({ url: db.url })]);
    // The advisory lock serializes the two: one applies everything, the other finds it done.
    const applied = [a.applied, b.applied].sort((x, y) => y.length - x.length);
    expect(applied[0]).toEqual(expected);
    expect(applied[1]).toEqual([]);
    const rows = await query<{ migration_name: string; finished_at: Date | null }>(
      db.url,
      'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(expected);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('is a no-op the second time', async () => {
    const again = await migrate({ url: db.url });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBe((await readMigrations()).length);
  });

  it('leaves a database whose tables, columns, types and enums agree with the Prisma schema', async () => {
    expect(await diffPrismaSchemaAgainstDatabase(schemaPath, db.url)).toEqual([]);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aihub-migrations-'));
    for (const m of await readMigrations()) {
      await mkdir(join(dir, m.name));
      const sql = await readFile(join(defaultMigrationsDir, m.name, 'migration.sql'), 'utf8');
      await writeFile(join(dir, m.name, 'migration.sql'), `${sql}\n-- edited`);
    }
    await expect(migrate({ url: db.url, dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls a failing migration back completely and records nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aihub-migrations-'));
    for (const m of await readMigrations()) {
      await mkdir(join(dir, m.name));
      await writeFile(join(dir, m.name, 'migration.sql'), m.sql);
    }
    await mkdir(join(dir, '99990101000000_broken'));
    await writeFile(
      join(dir, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_function();',
    );
    await expect(migrate({ url: db.url, dir })).rejects.toThrow(/Migration '99990101000000_broken' failed/);
    const tables = await query(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    expect(tables).toHaveLength(0);
    const recorded = await query(
      db.url,
      "SELECT 1 FROM _prisma_migrations WHERE migration_name LIKE '%broken'",
    );
    expect(recorded).toHaveLength(0);
  });
});

describe('schema check', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
    await migrate({ url: db.url });
  });
  afterAll(async () => db.drop());

  it('fails when a column exists only in the database, only in Prisma, or differs in nullability', async () => {
    await query(db.url, 'ALTER TABLE api_keys ADD COLUMN stray TEXT');
    await query(db.url, 'ALTER TABLE projects DROP COLUMN description');
    await query(db.url, 'ALTER TABLE api_keys ALTER COLUMN revoked_at SET NOT NULL');
    await query(db.url, 'CREATE TABLE unmodelled (id int)');
    const problems = await diffPrismaSchemaAgainstDatabase(schemaPath, db.url);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('api_keys.stray exists in the database but not in model ApiKey'),
        expect.stringContaining('projects.description (field Project.description) is missing'),
        expect.stringContaining('api_keys.revoked_at is NOT NULL in the database but optional in Prisma'),
        expect.stringContaining('table unmodelled exists in the database but in no Prisma model'),
      ]),
    );
    expect(problems).toHaveLength(4);
  });
});
