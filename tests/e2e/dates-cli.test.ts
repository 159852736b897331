import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, isolatedCli, type ServerProcess, spawnServer } from '../support/processes.js';

/*
 * A timestamp without a zone is refused whichever door it comes through: the CLI refuses it naming
 * the flag or spine line, and sends what it accepts as written, so the server's check (range
 * included) answers naming the field. Nothing is read in the CLI's own zone.
 */

const adminKey = `aihub_e2edate1_${'d'.repeat(43)}`;

describe('end to end: zone-less timestamps through the CLI', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let cli: (args: string[]) => Promise<CliResult>;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer({
      DATABASE_URL: database.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
      AIHUB_WORKERS: 'false',
    });
    const run = await isolatedCli();
    // A zone far from UTC: a zone-less time read here would be silently 14 hours off.
    cli = (args) =>
      run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey, TZ: 'Pacific/Kiritimati' });
    dir = await mkdtemp(join(tmpdir(), 'aihub-e2e-dates-'));
    await writeFile(join(dir, 'entities.csv'), 'entity_id\nmeter-1\n');
    await writeFile(join(dir, 'spine.csv'), 'entity_id,as_of\nmeter-1,2026-03-01T10:30:00\n');
    await writeFile(join(dir, 'readings.csv'), 'entity_id,metric,ts,value\nmeter-1,kwh,2026-03-01T08:10:00Z,1\n');
    expect((await cli(['ingest', 'entities', '--file', join(dir, 'entities.csv')])).code).toBe(0);
    expect((await cli(['ingest', 'readings', '--file', join(dir, 'readings.csv')])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const base = ['--set', 'forecast_basic', '--metric', 'kwh'];

  it.each([
    [['features', 'get', ...base, '--entities', 'meter-1', '--as-of', '2026-03-01T10:00:00'], '--as-of'],
    [
      ['features', 'offline', ...base, '--start', '2026-03-01T00:00:00', '--end', '2026-03-01T02:00:00Z'],
      '--start',
    ],
    [['features', 'export', ...base, '--start', '2026-03-01T00:00:00Z', '--end', '2026-03-01'], '--end'],
    [['exports', 'list', '--from', '2026-03-01 00:00'], '--from'],
  ])('refuses %j naming %s', async (args, flag) => {
    const result = await cli(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${flag}: '`);
    expect(result.stderr).toContain('is not an ISO 8601 timestamp with a zone');
  });

  it.each([
    [['features', 'get', ...base, '--entities', 'meter-1', '--as-of', '0000-06-01T00:00:00Z'], 'asOf'],
    [
      [
        'features',
        'offline',
        ...base,
        '--start',
        '9999-12-31T23:00:00-14:00',
        '--end',
        '9999-12-31T23:59:59Z',
      ],
      'range.start',
    ],
    [['exports', 'list', '--to', '0000-12-31T23:59:59Z'], 'createdTo'],
  ])('passes %j to the server, whose answer names %s', async (args, field) => {
    const result = await cli(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${field}: '`);
    expect(result.stderr).toContain(
      'is outside the supported range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z',
    );
  });

  it('refuses a spine file row without a zone, and accepts the same time with one', async () => {
    const refused = await cli(['features', 'offline', ...base, '--spine', join(dir, 'spine.csv')]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "spine file line 2: as_of '2026-03-01T10:30:00' is not an ISO 8601 timestamp with a zone",
    );
    const accepted = await cli([
      'features',
      'get',
      ...base,
      '--entities',
      'meter-1',
      '--as-of',
      '2026-03-01T10:00:00+01:00',
      '--json',
    ]);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).vectors[0].asOf).toBe('2026-03-01T09:00:00.000Z');
  });
});
