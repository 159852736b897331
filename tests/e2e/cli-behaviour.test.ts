import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  cliBundle,
  isolatedCli,
  repo,
  type ServerProcess,
  spawnServer,
} from '../support/processes.js';

/* The bundled CLI at the edges: documented limits, help, mistakes, errors, pipes and files. */

const adminKey = `aihub_clibeh01_${'b'.repeat(43)}`;
const run = promisify(execFile);
const ids = Array.from({ length: 1000 }, (_, i) => `m-${String(i).padStart(4, '0')}`);
const offlineArgs = ['features', 'offline', '--set', 'forecast_basic', '--metric', 'kwh', '--spine'];
const hour = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString();

describe('the bundled CLI at its edges', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let cli: (args: string[], env?: Record<string, string>) => Promise<CliResult>;
  let dir: string;

  const asAdmin = (args: string[]) => cli([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // No workers: an export stays queued, so cancelling it is deterministic.
    server = await spawnServer({
      DATABASE_URL: database.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
      AIHUB_WORKERS: 'false',
    });
    cli = await isolatedCli();
    dir = await mkdtemp(join(tmpdir(), 'aihub-cli-edges-'));
    const entities = await file(
      'entities.csv',
      `entity_id,location_id,timezone\n${ids.map((id) => `${id},site,UTC`).join('\n')}\n`,
    );
    expect((await asAdmin(['ingest', 'entities', '--file', entities])).code).toBe(0);
    // Readings for the first entity: one per hour, value = hour index, so lag_1h at hour h is h-1.
    const readings = Array.from({ length: 12 }, (_, h) => `m-0000,kwh,${hour(h).replace('.000', '')},${h}`);
    const readingsFile = await file('readings.csv', `entity_id,metric,ts,value\n${readings.join('\n')}\n`);
    expect((await asAdmin(['ingest', 'readings', '--file', readingsFile])).code).toBe(0);
    expect((await asAdmin(['aggregates', 'refresh'])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('serves features get of exactly 1,000 entity ids and an offline spine of exactly 10,000 rows', async () => {
    const got = await asAdmin([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      ids.join(','),
      '--json',
    ]);
    expect(got.stderr).toBe('');
    const vectors = (JSON.parse(got.stdout) as { vectors: { entityId: string }[] }).vectors;
    expect(vectors.map((v) => v.entityId)).toEqual(ids);

    // 1,000 entities x hours 1..10 = 10,000 rows; m-0000 at 05:00 has lag_1h = mean of [04:00, 05:00) = 4.
    const spine = ids.flatMap((id) => Array.from({ length: 10 }, (_, h) => `${id},${hour(h + 1)}`));
    const spineFile = await file('spine.csv', `entity_id,as_of\n${spine.join('\n')}\n`);
    const offline = await asAdmin([...offlineArgs, spineFile, '--json']);
    expect(offline.stderr).toBe('');
    const body = JSON.parse(offline.stdout) as {
      columns: string[];
      rows: { entityId: string; asOf: string; values: (number | null)[] }[];
    };
    expect(body.rows).toHaveLength(10_000);
    const row = body.rows.find((r) => r.entityId === 'm-0000' && r.asOf === hour(5));
    expect(row?.values[body.columns.indexOf('lag_1h')]).toBe(4);

    // One row over: the server's own limit, as a sentence (before POST, this was a 431 with no body).
    const over = await file(
      'spine-over.csv',
      `entity_id,as_of\n${[...spine, `m-0000,${hour(11)}`].join('\n')}\n`,
    );
    const refused = await asAdmin([...offlineArgs, over]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^aihub: .*10,?000.*\[BAD_REQUEST\]\n$/);

    // `| head`: the reader goes away after two lines; the CLI ends quietly.
    const piped = await run(
      'bash',
      [
        '--norc',
        '-c',
        `node "$0" "$@" | head -n 2; echo "exit \${PIPESTATUS[0]}"`,
        cliBundle,
        ...offlineArgs,
        spineFile,
        '--url',
        server.url,
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, AIHUB_API_KEY: adminKey }, maxBuffer: 1 << 20 },
    );
    expect(piped.stdout.split('\n')[0]).toMatch(/^ENTITYID\s+ASOF\s+LAG_1H/);
    expect(piped.stdout.trimEnd().split('\n').at(-1)).toBe('exit 0');
    expect(piped.stderr).toBe('');
  });

  it('prints its version and help with aligned columns, per group and per command', async () => {
    const { version } = JSON.parse(await readFile(join(repo, 'apps/cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `aihub ${version}\n`, stderr: '' });

    const help = await cli(['help']);
    expect(help.code).toBe(0);
    const commandLines = help.stdout
      .split('\n')
      .filter((l) => /^ {2}(models|features|keys) \w+ {2,}/.test(l));
    expect(commandLines.length).toBeGreaterThan(10);
    // Every summary starts in the same column, whatever the length of the command's name.
    const starts = new Set(commandLines.map((l) => /^ {2}\S+(?: \S+)? +/.exec(l)?.[0].length));
    expect(starts.size).toBe(1);

    const models = await cli(['models', '--help']);
    expect(models.code).toBe(0);
    const listed = [...models.stdout.matchAll(/^ {2}models (\w+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(
      [
        'alias',
        'copy',
        'delete',
        'download',
        'history',
        'list',
        'promote',
        'register',
        'show',
        'verify',
      ].sort(),
    );
    expect((await cli(['help', 'models'])).stdout).toBe(models.stdout);
    const one = await cli(['help', 'exports', 'cancel']);
    expect(one.stdout).toMatch(/^usage: aihub exports cancel <export-id>/);
  });

  it('names the closest flag or command for a typo, and refuses zone-less times naming the flag or line', async () => {
    const flag = await asAdmin(['features', 'get', '--set', 'forecast_basic', '--metirc', 'kwh']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^aihub: unknown option '--metirc'; did you mean '--metric'\?/);
    const command = await cli(['modles', 'list']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/did you mean 'models list'\?/);

    const asOf = await asAdmin([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'm-0000',
      '--as-of',
      '2026-03-01T05:00:00',
    ]);
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toMatch(
      /^aihub: --as-of: '2026-03-01T05:00:00' is not an ISO 8601 timestamp with a zone/,
    );
    const zoneless = await file(
      'zoneless.csv',
      'entity_id,as_of\nm-0000,2026-03-01T05:00:00Z\nm-0000,2026-03-01 06:00\n',
    );
    const spine = await asAdmin([...offlineArgs, zoneless]);
    expect(spine.code).toBe(2);
    expect(spine.stderr).toMatch(/^aihub: spine file line 3: as_of '2026-03-01 06:00' is not/);
  });

  it('writes errors as JSON with --json, and says what is wrong with the key or the URL', async () => {
    const missing = await asAdmin(['models', 'show', 'nothing@1', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    const usage = await asAdmin(['keys', 'create', '--json']);
    expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'BAD_USAGE' } });

    // A range with no readings: the warning is in the JSON result, and stderr stays JSON-only (empty).
    const range = [
      'features',
      'offline',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'm-0002',
    ];
    const window = ['--start', hour(0), '--end', hour(10)];
    const warned = await asAdmin([...range, ...window, '--json']);
    expect(warned.stderr).toBe('');
    expect((JSON.parse(warned.stdout) as { warnings: string[] }).warnings).toHaveLength(1);
    expect((await asAdmin([...range, ...window])).stderr).toMatch(/^warning: 10 of 10 rows have no readings/);

    const noKey = await cli(['whoami', '--url', server.url]);
    expect(noKey).toMatchObject({
      code: 1,
      stderr: 'aihub: no API key: set AIHUB_API_KEY or pass --api-key\n',
    });
    const noKeyIngest = await cli([
      'ingest',
      'entities',
      '--file',
      join(dir, 'entities.csv'),
      '--url',
      server.url,
    ]);
    expect(noKeyIngest.stderr).toBe('aihub: no API key: set AIHUB_API_KEY or pass --api-key\n');

    const schemeless = await cli(['health', '--url', '127.0.0.1:8080']);
    expect(schemeless).toMatchObject({
      code: 2,
      stderr: "aihub: --url: '127.0.0.1:8080' is not an http(s) URL; did you mean 'http://127.0.0.1:8080'?\n",
    });
    // Some other web server: every path answers 404.
    const other: Server = createServer((_req, res) => res.writeHead(404).end('<h1>Not Found</h1>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const notHub = await cli(['whoami', '--url', url, '--api-key', adminKey]);
      expect(notHub).toMatchObject({
        code: 1,
        stderr: `aihub: ${url} is not an AI Hub server (GET /livez answered 404)\n`,
      });
      const upload = await cli([
        'ingest',
        'entities',
        '--file',
        join(dir, 'entities.csv'),
        '--url',
        url,
        '--api-key',
        'k',
      ]);
      expect(upload.stderr).toBe(`aihub: ${url} is not an AI Hub server (GET /livez answered 404)\n`);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('exits 1 when every line was rejected, 0 with "N rejected" last when some were, and caps problems at 1,000 lines', async () => {
    const allBad = await file(
      'all-bad.csv',
      'entity_id,metric,ts,value\nm-0000,kwh,2026-03-02T00:00:00Z,x\n',
    );
    const rejected = await asAdmin(['ingest', 'readings', '--file', allBad]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^aihub: every line was rejected \(1\)/);

    const bad = Array.from(
      { length: 1205 },
      (_, i) => `m-0001,kwh,2026-03-03T00:00:${String(i % 60).padStart(2, '0')}Z,x`,
    );
    const partial = await file(
      'partial.csv',
      `entity_id,metric,ts,value\nm-0001,kwh,2026-03-03T01:00:00Z,1\n${bad.join('\n')}\n`,
    );
    const some = await asAdmin(['ingest', 'readings', '--file', partial]);
    expect(some.code).toBe(0);
    expect(some.stderr).toBe('');
    const lines = some.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1000 + 2);
    expect(lines[0]).toMatch(/^line 3: value: 'x' is not a number/);
    expect(lines[1000]).toBe('… and 205 more');
    expect(lines[1001]).toBe('stored: 1 accepted, 1205 rejected');
  });

  it('downloads into a folder given as --output, cancels exports, revokes keys by unambiguous name, verifies models', async () => {
    const model = await file('model.bin', 'artifact bytes\n'.repeat(100));
    expect(
      (await asAdmin(['models', 'register', '--name', 'm', '--file', model, '--tag', 'team=grid'])).code,
    ).toBe(0);
    const out = join(dir, 'downloads');
    await mkdir(out);
    const got = await asAdmin(['models', 'download', 'm@1', '--output', out]);
    expect(got.stderr).toBe('');
    expect(await readdir(out)).toEqual(['m-v1.other']);
    expect(await readFile(join(out, 'm-v1.other'))).toEqual(await readFile(model));
    const noFolder = await asAdmin(['models', 'download', 'm@1', '--output', join(dir, 'absent/')]);
    expect(noFolder.code).toBe(2);
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);

    const verified = JSON.parse((await asAdmin(['models', 'verify', 'm@1', '--json'])).stdout);
    expect(verified).toMatchObject({ ok: true, sizeBytes: 1500 });
    const tagged = JSON.parse((await asAdmin(['models', 'list', '--tag', 'team=grid', '--json'])).stdout);
    expect(tagged.items.map((v: { modelName: string }) => v.modelName)).toEqual(['m']);

    const queued = await asAdmin([
      'features',
      'export',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--spine',
      join(dir, 'zoneless.csv').replace('zoneless', 'spine'),
      '--quiet',
    ]);
    const exportId = queued.stdout.trim();
    expect(exportId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await asAdmin(['exports', 'cancel', exportId])).stdout).toBe(`export ${exportId} is cancelled\n`);
    expect(JSON.parse((await asAdmin(['exports', 'show', exportId, '--json'])).stdout)).toMatchObject({
      status: 'cancelled',
      params: { source: { kind: 'spine', rows: 10_000 } },
    });

    for (let i = 0; i < 2; i++) await asAdmin(['keys', 'create', '--name', 'twin', '--role', 'reader']);
    const ambiguous = await asAdmin(['keys', 'revoke', 'twin']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^aihub: 2 active keys are named 'twin' \(.+\); revoke one by id\n$/);
    const unknown = await asAdmin(['keys', 'revoke', 'nobody', '--json']);
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: { code: 'NOT_FOUND', message: "no active key named 'nobody'" },
    });
  });
});
