import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { type AihubClient, createAihubClient } from '@aihub/server/client';
import { createS3Client } from '@aihub/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  isolatedCli,
  jsonCommand,
  type ServerProcess,
  spawnServer,
} from '../support/processes.js';

const adminKey = `aihub_e2eonl01_${'o'.repeat(43)}`;
const HOUR = 3_600_000;

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('end to end: online features and exports from the bundled CLI; a killed export', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let client: AihubClient;
  let cli: (args: string[]) => Promise<CliResult>;
  let dir: string;
  let hour: number;
  const env = () => ({
    DATABASE_URL: database.url,
    AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
    EXPORT_HEARTBEAT_TIMEOUT_SECONDS: '6',
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer(env());
    client = createAihubClient({ url: server.url, apiKey: adminKey });
    const run = await isolatedCli();
    cli = (args) => run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
    dir = await mkdtemp(join(tmpdir(), 'aihub-exports-'));
    hour = Math.floor(Date.now() / HOUR) * HOUR;
    await client.ingest.entities.mutate({ records: [{ entity_id: 'meter-1' }, { entity_id: 'meter-2' }] });
    const records = [];
    for (let h = 1; h <= 48; h++) {
      for (const [i, id] of ['meter-1', 'meter-2'].entries()) {
        records.push({
          entity_id: id,
          metric: 'kwh',
          ts: new Date(hour - h * HOUR + 60_000).toISOString(),
          value: h + i / 10,
        });
      }
    }
    await client.ingest.readings.mutate({ records });
    await client.aggregates.refresh.mutate();
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary CLI JSON
  const json = (args: string[]) => jsonCommand(cli)(args) as Promise<any>;

  it('materializes, gets online vectors, exports with --wait, lists, shows and downloads (verified)', async () => {
    const materialized = await json([
      'features',
      'materialize',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
    ]);
    expect(materialized.entities).toBe(2);
    const got = await json([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'meter-1,meter-2',
    ]);
    expect(got.vectors.map((v: { source: string }) => v.source)).toEqual(['online', 'online']);
    expect(got.vectors[1].values[0]).toBe(1.1); // lag_1h of meter-2: its reading one hour back
    // What was served is in the history, as JSON and as a table.
    const historyArgs = [
      'features',
      'history',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entity',
      'meter-2',
    ];
    const range = [
      '--start',
      new Date(got.vectors[1].asOf).toISOString(),
      '--end',
      new Date(new Date(got.vectors[1].asOf).getTime() + HOUR).toISOString(),
    ];
    const served = await json([...historyArgs, ...range]);
    expect(served.vectors.map((v: { values: number[] }) => v.values)).toEqual([got.vectors[1].values]);
    const table = await cli([...historyArgs, ...range]);
    expect(table.code).toBe(0);
    expect(table.stdout.toLowerCase()).toContain('lag_1h');
    expect(table.stdout).toContain('1.1');

    const now = Date.now();
    const exported = await json([
      'features',
      'export',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--labels',
      '--wait',
      '--start',
      new Date(now - 24 * HOUR).toISOString(),
      '--end',
      new Date(now).toISOString(),
    ]);
    expect(exported).toMatchObject({ status: 'succeeded', rowsWritten: 48, totalRows: 48 });
    const listed = await json(['exports', 'list', '--status', 'succeeded']);
    expect(listed.items.map((e: { id: string }) => e.id)).toEqual([exported.id]);
    const shown = await cli(['exports', 'show', exported.id]);
    expect(shown.stdout).toContain('succeeded');
    // The per-feature statistics table: lag_1h has a value in each of the 48 rows.
    expect(shown.stdout).toContain('statistics of 48 rows (quantiles: tdigest');
    expect(shown.stdout).toMatch(/^lag_1h +48 +0 /m);
    const output = join(dir, 'train.parquet');
    const downloaded = await json(['exports', 'download', exported.id, '--output', output]);
    expect(downloaded).toMatchObject({ verified: true, sha256: exported.sha256 });
    expect(
      createHash('sha256')
        .update(await readFile(output))
        .digest('hex'),
    ).toBe(exported.sha256);

    const bad = await cli(['exports', 'list', '--status', 'done']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('status');
  });

  it('no silent nulls from the CLI: unknown entities flagged, unknown metric refused, empty range warned', async () => {
    const got = await cli([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'meter-1,ghost',
    ]);
    expect(got.code).toBe(0);
    const lines = got.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ENTITYID\s+STATUS\s+ASOF/);
    expect(lines[1]).toMatch(/^meter-1\s+ok\s/);
    expect(lines[2]).toMatch(/^ghost\s+unknown_entity\s+\S+\s+none\s+false(\s+-){6}$/);

    const typo = await cli([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwhh',
      '--entities',
      'meter-1',
    ]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain(
      "no readings of 'kwhh' were ever recorded in this project (known metrics: 'kwh')",
    );

    // Readings cover the 48 hours before `hour`: with forecast_basic's 168-hour window, 47 of the
    // 2000 whole hours of the range have readings in their windows, per meter.
    const queued = await cli([
      'features',
      'export',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--start',
      new Date(hour - 2000 * HOUR).toISOString(),
      '--end',
      new Date(hour).toISOString(),
    ]);
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/^queued export \S+ \(4000 rows\)\n$/);
    expect(queued.stderr).toBe('warning: 3,906 of 4,000 rows have no readings: is the range right?\n');
    const id = /queued export (\S+)/.exec(queued.stdout)?.[1] as string;
    const shown = await cli(['exports', 'show', id]);
    expect(shown.stdout).toMatch(/warnings\s+3,906 of 4,000 rows have no readings: is the range right\?/);
  });

  it('a server killed mid-export: on restart the export is failed and leaves no object', async () => {
    const started = await client.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      // 999,000 hours x 2 meters: about 2M rows, inside the 1,000,000-hour limit of one export. The
      // column-wise exporter writes some 200,000 rows/s here, so a shorter range (192,000 rows) could
      // finish before the test ever saw it running.
      range: { start: new Date(Date.now() - 999_000 * HOUR), end: new Date() },
    });
    await until(
      () => client.features.exportGet.query({ id: started.id }),
      (e) => e.status === 'running' && e.rowsWritten > 0,
    );
    server.child.kill('SIGKILL');
    await server.stop();
    server = await spawnServer(env());
    client = createAihubClient({ url: server.url, apiKey: adminKey });
    const failed = await until(
      () => client.features.exportGet.query({ id: started.id }),
      (e) => e.status !== 'running',
      30_000,
    );
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('stopped');
    const s3 = createS3Client({
      endpoint: process.env.S3_ENDPOINT as string,
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKey: process.env.S3_ACCESS_KEY as string,
      secretKey: process.env.S3_SECRET_KEY as string,
    });
    const keys: string[] = [];
    for await (const item of s3.listObjectsV2(
      'aihub-exports',
      `${failed.projectId}/exports/${started.id}/`,
      true,
    )) {
      if (item.name) keys.push(item.name);
    }
    expect(keys).toEqual([]);
  });
});
