import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, isolatedCli, type ServerProcess, spawnServer } from '../support/processes.js';

const adminKey = `aihub_e2efs001_${'f'.repeat(43)}`;

describe('end to end: ingest files, refresh and point-in-time features with the bundled CLI', () => {
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
    cli = (args) => run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
    dir = await mkdtemp(join(tmpdir(), 'aihub-e2e-files-'));
    await writeFile(
      join(dir, 'entities.csv'),
      'entity_id,location_id,timezone\nmeter-1,berlin,Europe/Berlin\n',
    );
    await writeFile(
      join(dir, 'readings.csv'),
      [
        'entity_id,metric,ts,value',
        'meter-1,kwh,2026-03-01T09:10:00Z,3',
        'meter-1,kwh,2026-03-01T09:50:00Z,five',
        'meter-1,kwh,2026-03-01T09:55:00Z,5',
        'meter-1,kwh,2026-03-01T08:30:00Z,10',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'weather.ndjson'),
      `${JSON.stringify({ location_id: 'berlin', ts: '2026-03-01T10:00:00Z', issued_at: '2026-03-01T08:00:00Z', temperature_c: 7.5 })}\n`,
    );
    await writeFile(join(dir, 'spine.csv'), 'entity_id,as_of\nmeter-1,2026-03-01T10:30:00Z\n');
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('loads files, reporting the bad line, and serves hand-checked vectors', async () => {
    expect((await cli(['ingest', 'entities', '--file', join(dir, 'entities.csv'), '--json'])).code).toBe(0);
    const readings = await cli(['ingest', 'readings', '--file', join(dir, 'readings.csv'), '--json']);
    expect(readings.code).toBe(0);
    expect(JSON.parse(readings.stdout)).toEqual({
      accepted: 3,
      rejected: 1,
      problems: [{ line: 3, reason: "value: 'five' is not a number" }],
      committed: true,
    });
    expect((await cli(['ingest', 'weather', '--file', join(dir, 'weather.ndjson')])).code).toBe(0);

    const refreshed = await cli(['aggregates', 'refresh', '--json']);
    expect(JSON.parse(refreshed.stdout)).toEqual({ hourlyBuckets: 2, dailyBuckets: 1 });

    const defined = await cli([
      'features',
      'define',
      '--name',
      'probe',
      '--features',
      'lag_1h,lag_2h,delta_1h,rolling_24h_std,hour_of_day,weather_temperature_c',
    ]);
    expect(defined.stdout).toBe(
      'created probe@1: lag_1h, lag_2h, delta_1h, rolling_24h_std, hour_of_day, weather_temperature_c\n',
    );

    const result = await cli([
      'features',
      'offline',
      '--set',
      'probe@1',
      '--metric',
      'kwh',
      '--spine',
      join(dir, 'spine.csv'),
      '--labels',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    const body = JSON.parse(result.stdout) as {
      columns: string[];
      rows: { values: (number | null)[]; label: number | null }[];
    };
    // [09:00,10:00) = {3,5}: mean 4; [08:00,09:00) = {10}; delta 4-10 = -6; std of {10,3,5}: mean 6,
    // squares 16+9+1 = 26, /2 = 13, sqrt 13; 10:00 UTC is 11:00 in Berlin (CET); forecast issued 08:00.
    expect(body.rows[0]?.values).toEqual([4, 10, -6, Math.sqrt(13), 11, 7.5]);
    expect(body.rows[0]?.label).toBeNull();
  });

  it('refuses a wrong header with the expected columns, and --strict stores nothing', async () => {
    await writeFile(
      join(dir, 'bad-header.csv'),
      'entity,metric,ts,value\nmeter-1,kwh,2026-03-01T11:00:00Z,1\n',
    );
    const wrong = await cli(['ingest', 'readings', '--file', join(dir, 'bad-header.csv')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'aihub: line 1: wrong header (missing entity_id; unknown entity): expected columns entity_id, metric, ts, value [BAD_REQUEST]\n',
    );
    // A new valid reading beside a bad one: with --strict, not even the valid one is stored.
    await writeFile(
      join(dir, 'strict.csv'),
      'entity_id,metric,ts,value\nmeter-1,kwh,2026-03-01T12:10:00Z,42\nmeter-1,kwh,2026-03-01T12:20:00Z,x\n',
    );
    const strict = await cli(['ingest', 'readings', '--file', join(dir, 'strict.csv'), '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('refused (--strict): nothing stored: 0 accepted, 1 rejected');
    expect(strict.stderr).toBe('aihub: 1 invalid line(s); the file was not stored\n');
    expect(JSON.parse((await cli(['aggregates', 'status', '--json'])).stdout)).toEqual({ pendingBuckets: 0 });
  });

  // Timestamps without a zone are refused whichever door they come through: the CLI refuses them
  // naming the flag or spine line and sends what it accepts as written, so the server's check
  // (range included) answers naming the field. Nothing is read in the CLI's own zone.
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
    await writeFile(join(dir, 'zoneless-spine.csv'), 'entity_id,as_of\nmeter-1,2026-03-01T10:30:00\n');
    const refused = await cli(['features', 'offline', ...base, '--spine', join(dir, 'zoneless-spine.csv')]);
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
