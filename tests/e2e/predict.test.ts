import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { createS3Client } from '@aihub/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedOutput, makeTestModels } from '../../apps/server/test/support/test-models.js';
import {
  type CliResult,
  isolatedCli,
  jsonCommand,
  type ServerProcess,
  spawnServer,
} from '../support/processes.js';

const adminKey = `aihub_e2eprd01_${'p'.repeat(43)}`;
const HOUR = 3_600_000;

/*
 * Done-when of predictions: the built server process and the bundled CLI. The test models are
 * registered with their lineage (nothing is trained), one is promoted, and `aihub predict` answers
 * what the models' weights and thresholds give by hand for the features `aihub features get` serves.
 */
describe('end to end: registered ONNX models served by `aihub predict`', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let cli: (args: string[]) => Promise<CliResult>;
  let dir: string;
  const env = () => ({
    DATABASE_URL: database.url,
    AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
    EXPORT_HEARTBEAT_TIMEOUT_SECONDS: '4',
  });
  const connect = async () => {
    const run = await isolatedCli();
    cli = (args) => run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
  };
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary CLI JSON
  const json = (args: string[]) => jsonCommand(cli)(args) as Promise<any>;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer(env());
    await connect();
    dir = await mkdtemp(join(tmpdir(), 'aihub-predict-'));
    for (const [name, bytes] of Object.entries(makeTestModels()))
      await writeFile(join(dir, `${name}.onnx`), bytes);
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const entities = ['entity_id', 'm1', 'm2'].join('\n');
    const readings = ['entity_id,metric,ts,value'];
    // 200 hours of two meters: every forecast_basic feature has a value.
    for (let h = 1; h <= 200; h++) {
      readings.push(
        `m1,kwh,${new Date(hour - h * HOUR + 600_000).toISOString()},${(8 + (h % 9) * 0.7).toFixed(3)}`,
      );
      readings.push(
        `m2,kwh,${new Date(hour - h * HOUR + 600_000).toISOString()},${(14 + (h % 5) * 1.3).toFixed(3)}`,
      );
    }
    await writeFile(join(dir, 'entities.csv'), `${entities}\n`);
    await writeFile(join(dir, 'readings.csv'), `${readings.join('\n')}\n`);
    for (const [kind, file] of [
      ['entities', 'entities.csv'],
      ['readings', 'readings.csv'],
    ]) {
      const ingested = await cli(['ingest', kind as string, '--file', join(dir, file as string)]);
      expect(ingested.code, ingested.stderr).toBe(0);
    }
    expect((await cli(['aggregates', 'refresh'])).code).toBe(0);
    expect((await cli(['features', 'materialize', '--set', 'forecast_basic', '--metric', 'kwh'])).code).toBe(
      0,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('registers the test models with lineage, promotes one, and predicts what the weights give by hand', async () => {
    for (const [name, file] of [
      ['load-forecast', 'linear_forecast_basic'],
      ['load-trees', 'trees_forecast_basic'],
    ]) {
      const registered = await json([
        'models',
        'register',
        '--name',
        name as string,
        '--file',
        join(dir, `${file}.onnx`),
        '--feature-set',
        'forecast_basic@1',
        '--metric',
        'kwh',
      ]);
      expect(registered.status).toBe('ready');
    }
    expect((await cli(['models', 'promote', 'load-forecast@1', '--to', 'production'])).code).toBe(0);
    expect((await cli(['models', 'alias', 'set', 'load-trees@1', 'champion'])).code).toBe(0);

    const features = await json([
      'features',
      'get',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'm1,m2',
    ]);
    for (const [ref, model] of [
      ['load-forecast@production', 'linear_forecast_basic'],
      ['load-trees@champion', 'trees_forecast_basic'],
    ] as const) {
      const got = await json(['predict', ref, '--entities', 'm1,m2']);
      expect(got.model).toMatchObject({ version: 1 });
      expect(got.predictions).toHaveLength(2);
      got.predictions.forEach(
        (p: { entityId: string; prediction: number; source: string; asOf: string }, i: number) => {
          const vector = features.vectors[i];
          expect(p.entityId).toBe(vector.entityId);
          expect(p.source).toBe('online');
          expect(p.asOf).toBe(vector.asOf);
          expect(vector.values.every((v: number | null) => typeof v === 'number')).toBe(true);
          const want = expectedOutput(model, vector.values);
          expect(Math.abs(p.prediction - want), `${ref} ${p.entityId}`).toBeLessThan(
            1e-5 * Math.max(1, Math.abs(want)),
          );
        },
      );
    }
    // The table form names the version and each entity.
    const table = await cli(['predict', 'load-forecast@production', '--entities', 'm1,m2,nobody']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^load-forecast v1 \(production\) over forecast_basic@1 kwh/);
    expect(table.stdout).toMatch(/nobody\s+-?\s*unknown_entity/);
    // A format that cannot be served: a clear error, exit code non-zero.
    await writeFile(join(dir, 'model.bin'), 'not onnx');
    expect((await cli(['models', 'register', '--name', 'blob', '--file', join(dir, 'model.bin')])).code).toBe(
      0,
    );
    const refused = await cli(['predict', 'blob@1', '--entities', 'm1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/blob v1 is a 'other' artifact: only ONNX models can be served/);
  });

  it('scores hours with `aihub anomalies detect`: the production model over the vectors `aihub features offline` gives', async () => {
    const now = Math.floor(Date.now() / HOUR) * HOUR;
    const range = [
      '--start',
      new Date(now - 30 * HOUR).toISOString(),
      '--end',
      new Date(now - 6 * HOUR).toISOString(),
    ];
    const offline = await json([
      'features',
      'offline',
      '--set',
      'forecast_basic',
      '--metric',
      'kwh',
      '--entities',
      'm1,m2',
      ...range,
      '--labels',
    ]);
    expect(
      (await cli(['features', 'define', '--name', 'spread', '--features', 'rolling_24h_std'])).code,
    ).toBe(0);
    const spread = await json([
      'features',
      'offline',
      '--set',
      'spread',
      '--metric',
      'kwh',
      '--entities',
      'm1,m2',
      ...range,
    ]);
    const args = [
      'anomalies',
      'detect',
      '--model',
      'load-forecast@production',
      '--metric',
      'kwh',
      '--entities',
      'm1,m2',
      ...range,
      '--threshold',
      '3',
    ];
    const detected = await json(args);
    expect(detected.rows).toHaveLength(48);
    let flagged = 0;
    detected.rows.forEach(
      (
        row: {
          entityId: string;
          hour: string;
          actual: number;
          expected: number;
          std: number;
          flagged: boolean;
        },
        i: number,
      ) => {
        const vector = offline.rows[i];
        expect([row.entityId, row.hour]).toEqual([vector.entityId, vector.asOf]);
        const want = expectedOutput('linear_forecast_basic', vector.values);
        expect(Math.abs(row.expected - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
        expect(row.actual).toBe(vector.label);
        expect(row.std).toBe(spread.rows[i].values[0]);
        const margin = Math.abs(row.actual - want) - 3 * row.std;
        if (Math.abs(margin) > 1e-3) expect(row.flagged, `${row.entityId} ${row.hour}`).toBe(margin > 0);
        if (row.flagged) flagged++;
      },
    );
    expect(detected.flagged).toBe(flagged);
    // This model fits these meters loosely: some hours are beyond 3 x std, some within.
    expect(flagged).toBeGreaterThan(0);
    expect(flagged).toBeLessThan(48);
    const table = await cli(args);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe(
      `kwh against load-forecast v1 (production), threshold 3 x rolling 24 h std: ${flagged} of 48 entity-hours flagged`,
    );
    const listed = await cli(['anomalies', 'list', '--model', 'load-forecast']);
    expect(listed.code, listed.stderr).toBe(0);
    const refused = await cli(['anomalies', 'detect', '--metric', 'kwh', ...range, '--threshold', 'high']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--threshold: 'high' is not a positive number/);
  });

  it('`aihub predict batch --wait` writes the predictions of a spine to Parquet; `batches download` verifies it', async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const spine = [
      'entity_id,as_of',
      ...[1, 2, 3].flatMap((h) => ['m1', 'm2'].map((e) => `${e},${new Date(hour - h * HOUR).toISOString()}`)),
    ];
    await writeFile(join(dir, 'spine.csv'), `${spine.join('\n')}\n`);
    const done = await json([
      'predict',
      'batch',
      'load-forecast@production',
      '--spine',
      join(dir, 'spine.csv'),
      '--features',
      '--wait',
    ]);
    expect(done).toMatchObject({
      status: 'succeeded',
      rowsWritten: 6,
      totalRows: 6,
      model: { name: 'load-forecast', version: 1 },
    });
    const listed = await cli(['batches', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${done.id}\\s+succeeded\\s+load-forecast@1\\s+6/6`));
    const shown = await cli(['batches', 'show', done.id]);
    expect(shown.stdout).toMatch(/model\s+load-forecast v1 \(/);
    const file = join(dir, 'batch.parquet');
    const downloaded = await cli(['batches', 'download', done.id, '--output', file]);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(downloaded.stdout).toContain(`sha256 ${done.sha256} verified`);
    expect((await stat(file)).size).toBe(done.bytes);
    expect((await readFile(file)).subarray(0, 4).toString()).toBe('PAR1');
    // Bad input: a clear message naming the field, exit code non-zero.
    const refused = await cli([
      'predict',
      'batch',
      'load-forecast@production',
      '--start',
      new Date(hour).toISOString(),
      '--end',
      new Date(hour - HOUR).toISOString(),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/range\.end: start must be before end/);
  });

  it('a server killed mid-batch: on restart the batch is failed and leaves no object and no unfinished upload', async () => {
    const started = await json([
      'predict',
      'batch',
      'load-forecast@production',
      '--start',
      // 999,000 hours (inside the 1,000,000-hour limit): ten years' worth could finish between the
      // test seeing it running and the kill.
      new Date(Date.now() - 999_000 * HOUR).toISOString(),
      '--end',
      new Date().toISOString(),
    ]);
    expect(started.status).toBe('queued');
    for (let i = 0; ; i++) {
      const now = await json(['batches', 'show', started.id]);
      if (now.status === 'running' && now.rowsWritten > 0) break;
      expect(now.status).not.toMatch(/succeeded|failed|cancelled/);
      expect(i).toBeLessThan(300);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    server.child.kill('SIGKILL');
    await server.stop();
    server = await spawnServer(env());
    await connect();
    let failed = await json(['batches', 'show', started.id]);
    for (let i = 0; failed.status === 'running' && i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      failed = await json(['batches', 'show', started.id]);
    }
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('process killed or lost');
    const s3 = createS3Client({
      endpoint: process.env.S3_ENDPOINT as string,
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKey: process.env.S3_ACCESS_KEY as string,
      secretKey: process.env.S3_SECRET_KEY as string,
    });
    const prefix = `${failed.projectId}/predictions/${started.id}/`;
    const left: string[] = [];
    for await (const item of s3.listObjectsV2('aihub-exports', prefix, true))
      if (item.name) left.push(item.name);
    for await (const item of s3.listIncompleteUploads('aihub-exports', prefix, true))
      if (item.key) left.push(item.key);
    expect(left).toEqual([]);
  }, 120_000);
});
