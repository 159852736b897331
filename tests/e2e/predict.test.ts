import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
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
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary CLI JSON
  const json = (args: string[]) => jsonCommand(cli)(args) as Promise<any>;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    const run = await isolatedCli();
    cli = (args) => run([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });
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
});
