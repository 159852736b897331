import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { putArtifact, s3Of } from './models-support.js';
import { sample, scrape } from './support/metrics.js';
import { currentHour, failure, HOUR, seedHistory } from './support/feature-data.js';
import { expectedOutput, makeTestModels, TEST_MODELS } from './support/test-models.js';

const BASIC = { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh' };

async function* once(bytes: Uint8Array) {
  yield bytes;
}

describe('predictions.predict: registered ONNX models served over the online features', () => {
  let server: TestServer;
  let api: AihubClient;
  let key: string;
  let models: Record<string, Buffer>;
  let endHour: number;

  /** Registers `bytes` and uploads them; the upload's answer. */
  async function register(
    name: string,
    bytes: Uint8Array,
    options: { format?: 'onnx' | 'other'; lineage?: object; metadata?: Record<string, unknown> } = {},
  ) {
    const { version, upload } = await api.models.register.mutate({
      name,
      format: options.format ?? 'onnx',
      lineage: (options.lineage ?? BASIC) as typeof BASIC,
      metadata: (options.metadata ?? {}) as Record<string, never>,
    });
    const put = await putArtifact(server.url, key, upload.path, once(bytes));
    return { id: version.id, status: put.status, error: put.json.error };
  }

  beforeAll(async () => {
    models = makeTestModels();
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    key = (await root.projects.create.mutate({ name: 'serving' })).adminKey.token;
    api = createAihubClient({ url: server.url, apiKey: key });
    endHour = currentHour();
    await seedHistory(api, endHour, 200);
    await api.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
  });
  afterAll(async () => server?.stop());

  it('serves the production linear model and the tree ensemble: outputs equal the hand-computed ones for the online features', async () => {
    const linear = await register('load-forecast', models.linear_forecast_basic as Buffer);
    expect(linear.status).toBe(200);
    await api.models.promote.mutate({ id: linear.id, to: 'production' });
    const trees = await register('load-trees', models.trees_forecast_basic as Buffer);
    expect(trees.status).toBe(200);
    await api.models.setAlias.mutate({ id: trees.id, alias: 'champion' });

    const features = await api.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1', 'm2', 'm3'],
    });
    for (const [ref, name] of [
      ['load-forecast@production', 'linear_forecast_basic'],
      [linear.id, 'linear_forecast_basic'],
      ['load-trees@champion', 'trees_forecast_basic'],
      ['load-trees@1', 'trees_forecast_basic'],
    ] as const) {
      const got = await api.predictions.predict.query({
        model: ref,
        entityIds: ['m1', 'm2', 'm3', 'nope'],
        includeFeatures: true,
      });
      expect(got.model.name).toBe(name === 'linear_forecast_basic' ? 'load-forecast' : 'load-trees');
      expect(got.model.version).toBe(1);
      expect(got.latencyMs).toBeGreaterThan(0);
      features.vectors.forEach((vector, i) => {
        const p = got.predictions[i];
        expect(p?.entityId).toBe(vector.entityId);
        expect(p?.asOf).toEqual(vector.asOf);
        // m1 and m2 are materialized; m3 has no readings, so its vector is computed (lags null).
        expect(p?.source).toBe(vector.entityId === 'm3' ? 'offline' : 'online');
        expect(p?.stale).toBe(false);
        expect(p?.status).toBe('ok');
        expect(Object.values(p?.features ?? {})).toEqual(vector.values);
        // A null goes into the model as NaN (no imputation given): the tree sends it right.
        const want = expectedOutput(
          name,
          vector.values.map((v) => v ?? Number.NaN),
        );
        if (Number.isNaN(want)) {
          expect(vector.entityId).toBe('m3');
          expect(p?.prediction, `${ref} m3`).toBeNull();
          return;
        }
        // float32 inside the model: agree to float32 precision.
        expect(Math.abs((p?.prediction as number) - want), `${ref} ${vector.entityId}`).toBeLessThan(
          1e-5 * Math.max(1, Math.abs(want)),
        );
      });
      expect(got.predictions[3]).toMatchObject({
        entityId: 'nope',
        prediction: null,
        status: 'unknown_entity',
        source: 'none',
      });
    }
  });

  it('fills nulls from the metadata imputation values, else passes NaN (prediction null)', async () => {
    // 190 hours before the end only 10 hours of history exist: lag_24h and lag_168h are null.
    const asOf = new Date(endHour - 190 * HOUR);
    const imputed = await register('imputed', models.linear_forecast_basic as Buffer, {
      metadata: { imputation: { lag_24h: 3, lag_168h: 7 } },
    });
    expect(imputed.status).toBe(200);
    const offline = await api.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
      asOf,
    });
    const row = offline.vectors[0]?.values ?? [];
    expect(row[1]).toBeNull();
    expect(row[2]).toBeNull();
    const got = await api.predictions.predict.query({ model: 'imputed@1', entityIds: ['m1'], asOf });
    expect(got.predictions[0]?.source).toBe('offline');
    const want = expectedOutput('linear_forecast_basic', [
      row[0] as number,
      3,
      7,
      row[3] as number,
      row[4] as number,
      row[5] as number,
    ]);
    expect(got.predictions[0]?.prediction).toBeCloseTo(want, 4);
    const plain = await api.predictions.predict.query({ model: 'load-forecast@1', entityIds: ['m1'], asOf });
    expect(plain.predictions[0]?.prediction).toBeNull();
  });

  it('refuses at upload an ONNX model whose input does not match its feature set, or that does not load', async () => {
    const wrongSet = await register('wrong-set', models.trees_forecast_basic as Buffer, {
      lineage: { featureSet: 'forecast_advanced', featureSetVersion: 1, targetMetric: 'kwh' },
    });
    expect(wrongSet.status).toBe(400);
    expect(wrongSet.error?.message).toMatch(
      /shape \[N, 6\]; forecast_advanced@1 has 18 features .* must be \[N, 18\]/,
    );
    const failed = await api.models.get.query({ id: wrongSet.id });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/must be \[N, 18\]/);

    const garbage = await register('garbage', new TextEncoder().encode('not an onnx model'));
    expect(garbage.status).toBe(400);
    expect(garbage.error?.message).toMatch(/^artifact: not a model ONNX Runtime can load/);

    const badOutput = await register('bad-output', models.linear_forecast_basic as Buffer, {
      metadata: { outputName: 'nope' },
    });
    expect(badOutput.status).toBe(400);
    expect(badOutput.error?.message).toBe(
      "metadata.outputName: the model has no output 'nope' (it has prediction)",
    );

    const badImputation = await register('bad-imputation', models.linear_forecast_basic as Buffer, {
      metadata: { imputation: { month: 1 } },
    });
    expect(badImputation.status).toBe(400);
    expect(badImputation.error?.message).toBe('metadata.imputation: month not in forecast_basic@1');
  });

  it('stores other formats and ONNX without declared inputs, and says clearly why predict cannot serve them', async () => {
    const other = await register('pickled', new TextEncoder().encode('pickle bytes'), { format: 'other' });
    expect(other.status).toBe(200);
    const e1 = await failure(api.predictions.predict.query({ model: 'pickled@1', entityIds: ['m1'] }));
    expect(e1.code).toBe('BAD_REQUEST');
    expect(e1.message).toMatch(/pickled v1 is a 'other' artifact: only ONNX models can be served/);

    const bare = await register('no-lineage', models.linear_forecast_basic as Buffer, { lineage: {} });
    expect(bare.status).toBe(200);
    const e2 = await failure(api.predictions.predict.query({ model: 'no-lineage@1', entityIds: ['m1'] }));
    expect(e2.code).toBe('BAD_REQUEST');
    expect(e2.message).toMatch(/declares no input: register it with lineage featureSet/);

    const e3 = await failure(
      api.predictions.predict.query({ model: 'load-forecast@staging', entityIds: ['m1'] }),
    );
    expect(e3.code).toBe('NOT_FOUND');
    const e4 = await failure(api.predictions.predict.query({ model: 'load forecast', entityIds: ['m1'] }));
    expect(e4.code).toBe('BAD_REQUEST');
  });

  it('takes 1 to 1000 entities', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 'm1' : `unknown-${i}`));
    const got = await api.predictions.predict.query({ model: 'load-forecast@production', entityIds: ids });
    expect(got.predictions).toHaveLength(1000);
    expect(got.predictions[0]?.prediction).toBe(got.predictions[998]?.prediction);
    expect(got.predictions[1]?.status).toBe('unknown_entity');
    const tooMany = await failure(
      api.predictions.predict.query({ model: 'load-forecast@production', entityIds: [...ids, 'm1'] }),
    );
    expect(tooMany.code).toBe('BAD_REQUEST');
    expect(tooMany.message).toMatch(/entityIds: at most 1000 entities per request/);
    const none = await failure(
      api.predictions.predict.query({ model: 'load-forecast@production', entityIds: [] }),
    );
    expect(none.message).toMatch(/entityIds: must name at least one entity/);
  });

  it('never answers @production with the replaced version once the promotion has committed (concurrent predictions across it)', async () => {
    const v1 = await register('race', models.linear_forecast_basic as Buffer);
    const v2 = await register('race', models.linear_forecast_basic_b as Buffer);
    expect([v1.status, v2.status]).toEqual([200, 200]);
    await api.models.promote.mutate({ id: v1.id, to: 'production' });
    const row = (
      await api.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: ['m1'] })
    ).vectors[0]?.values.map((v) => v as number) as number[];
    const want = {
      1: expectedOutput('linear_forecast_basic', row),
      2: expectedOutput('linear_forecast_basic_b', row),
    };
    expect(Math.abs(want[1] - want[2])).toBeGreaterThan(1);

    const answers: { sentAt: number; version: number; prediction: number | null }[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        const sentAt = performance.now();
        const got = await api.predictions.predict.query({ model: 'race@production', entityIds: ['m1'] });
        answers.push({
          sentAt,
          version: got.model.version,
          prediction: got.predictions[0]?.prediction ?? null,
        });
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await api.models.promote.mutate({ id: v2.id, to: 'production' });
    const committedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 400));
    running = false;
    await Promise.all(clients);

    const after = answers.filter((a) => a.sentAt > committedAt);
    expect(answers.filter((a) => a.sentAt < committedAt && a.version === 1).length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => a.version !== 2)).toEqual([]);
    for (const a of answers) {
      // Each answer is the output of the version it names: no session of one answering for the other.
      expect(Math.abs((a.prediction as number) - want[a.version as 1 | 2])).toBeLessThan(
        1e-4 * Math.abs(want[a.version as 1 | 2]),
      );
    }
  });

  it('warms a version when it is promoted or an alias moves to it (announced by the database)', async () => {
    const promoted = await register('warm', models.trees_forecast_basic as Buffer);
    const aliased = await register('warm', models.linear_forecast_basic as Buffer);
    await api.models.promote.mutate({ id: promoted.id, to: 'production' });
    await api.models.setAlias.mutate({ id: aliased.id, alias: 'challenger' });
    // A request itself loads the model too, so only the very first answer tells: wait (warming runs
    // in the background after the commit; 3 s leaves room on a loaded machine), then ask once.
    const cachedWithin = async (model: string) => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return (await api.predictions.predict.query({ model, entityIds: ['m1'] })).model.cached;
    };
    const [promotedCached, aliasedCached] = await Promise.all([
      cachedWithin('warm@production'),
      cachedWithin('warm@challenger'),
    ]);
    expect(promotedCached).toBe(true);
    expect(aliasedCached).toBe(true);
    // A version nobody promoted or aliased is loaded by its first request.
    const cold = await register('warm', models.linear_forecast_basic_b as Buffer);
    expect(cold.status).toBe(200);
    const first = await api.predictions.predict.query({ model: 'warm@3', entityIds: ['m1'] });
    expect(first.model.cached).toBe(false);
    expect((await api.predictions.predict.query({ model: 'warm@3', entityIds: ['m1'] })).model.cached).toBe(
      true,
    );
  });

  it('checks the stored bytes against the recorded sha256 before loading them', async () => {
    const v = await register('tampered', models.linear_forecast_basic as Buffer);
    const got = await api.models.get.query({ id: v.id });
    // The same model with its bias 1.5 changed to 2.5 (float32 little-endian): it would load and
    // answer, off by one; only the hash can tell.
    const other = Buffer.from(models.linear_forecast_basic as Buffer);
    const at = other.indexOf(Buffer.from([0x00, 0x00, 0xc0, 0x3f]));
    expect(at).toBeGreaterThan(0);
    other.set([0x00, 0x00, 0x20, 0x40], at);
    expect(other.length).toBe(got.sizeBytes);
    await s3Of(server.env).putObject(
      server.env.S3_BUCKET_MODELS,
      got.artifactKey as string,
      other,
      other.length,
    );
    const e = await failure(api.predictions.predict.query({ model: 'tampered@1', entityIds: ['m1'] }));
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toMatch(/Integrity check failed/);
  });

  describe('predictions.explain', () => {
    const BASELINE = {
      lag_1h: 9,
      lag_24h: 11,
      lag_168h: 12,
      hour_of_day: 6,
      day_of_week: 2,
      is_weekend: 0.25,
    };
    const columns = Object.keys(BASELINE);
    const b = Object.values(BASELINE);

    it('is exact on a linear model: w_j (x_j - baseline_j) by hand, adding up to prediction - baseline', async () => {
      const v = await register('explained-linear', models.linear_forecast_basic as Buffer, {
        metadata: { baseline: BASELINE },
      });
      expect(v.status).toBe(200);
      const got = await api.predictions.explain.query({ model: 'explained-linear@1', entityId: 'm1' });
      const x = got.contributions.map((c) => c.value);
      const features = await api.features.get.query({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        entityIds: ['m1'],
      });
      expect(x).toEqual(features.vectors[0]?.values);
      expect(got.method).toBe('exact');
      expect(got.baseline.source).toBe('metadata');
      const spec = TEST_MODELS.linear_forecast_basic as { weights: number[] };
      got.contributions.forEach((c, j) => {
        expect(c.feature).toBe(columns[j]);
        expect(c.baseline).toBe(b[j]);
        const want = (spec.weights[j] as number) * ((x[j] as number) - (b[j] as number));
        expect(Math.abs(c.contribution - want), c.feature).toBeLessThan(1e-4);
      });
      expect(got.prediction).toBeCloseTo(expectedOutput('linear_forecast_basic', x), 4);
      expect(got.baseline.prediction).toBeCloseTo(expectedOutput('linear_forecast_basic', b), 4);
      const sum = got.contributions.reduce((acc, c) => acc + c.contribution, 0);
      expect(Math.abs(sum - (got.prediction - got.baseline.prediction))).toBeLessThan(1e-4);
    });

    it('samples Shapley values on the tree ensemble: additive, repeatable, close to the exact values enumerated by hand', async () => {
      // A baseline on the other side of the first tree's lag_1h split, and above its lag_24h split
      // (served lag_24h stays below 20.5): moving lag_1h and lag_24h together differs from moving
      // each alone, so the model is not additive between the two points, whatever the hour.
      const now = await api.features.get.query({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        entityIds: ['m2'],
      });
      const lag1h = now.vectors[0]?.values[0] as number;
      expect(now.vectors[0]?.values[1] as number).toBeLessThan(20.5);
      const treesBaseline = { ...BASELINE, lag_1h: lag1h > 10.5 ? 5 : 30, lag_24h: 25 };
      const b = Object.values(treesBaseline);
      const v = await register('explained-trees', models.trees_forecast_basic as Buffer, {
        metadata: { baseline: treesBaseline },
      });
      expect(v.status).toBe(200);
      const got = await api.predictions.explain.query({
        model: 'explained-trees@1',
        entityId: 'm2',
        samples: 2000,
      });
      expect(got.method).toBe('sampled_shapley');
      expect(got.samples).toBe(2000);
      const sum = got.contributions.reduce((acc, c) => acc + c.contribution, 0);
      expect(Math.abs(sum - (got.prediction - got.baseline.prediction))).toBeLessThan(1e-4);
      const again = await api.predictions.explain.query({
        model: 'explained-trees@1',
        entityId: 'm2',
        samples: 2000,
      });
      expect(again.contributions).toEqual(got.contributions);
      // Exact Shapley values by enumerating all 64 coalitions with the hand-written tree evaluator.
      const x = got.contributions.map((c) => c.value);
      const f = (mask: number) =>
        expectedOutput(
          'trees_forecast_basic',
          b.map((bj, j) => (mask & (1 << j) ? (x[j] as number) : bj)),
        );
      const n = columns.length;
      const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
      const popcount = (m: number) => m.toString(2).split('1').length - 1;
      columns.forEach((feature, j) => {
        let exact = 0;
        for (let mask = 0; mask < 1 << n; mask++) {
          if (mask & (1 << j)) continue;
          const s = popcount(mask);
          exact += ((factorial(s) * factorial(n - s - 1)) / factorial(n)) * (f(mask | (1 << j)) - f(mask));
        }
        expect(Math.abs((got.contributions[j]?.contribution as number) - exact), feature).toBeLessThan(0.15);
      });
    });

    it('says why it cannot explain: no baseline, an unknown entity', async () => {
      expect((await register('unexplained', models.linear_forecast_basic as Buffer)).status).toBe(200);
      const e1 = await failure(api.predictions.explain.query({ model: 'unexplained@1', entityId: 'm1' }));
      expect(e1.code).toBe('PRECONDITION_FAILED');
      expect(e1.message).toMatch(
        /has no baseline: register it with metadata.baseline, or with lineage.exportId/,
      );
      const e2 = await failure(
        api.predictions.explain.query({ model: 'explained-linear@1', entityId: 'nobody' }),
      );
      expect(e2.code).toBe('BAD_REQUEST');
      expect(e2.message).toMatch(/unknown entity 'nobody'/);
    });
  });

  describe('prediction log', () => {
    let pool: pg.Pool;
    beforeAll(() => {
      pool = new pg.Pool({ connectionString: server.env.DATABASE_URL, max: 2 });
    });
    afterAll(async () => pool?.end());

    it('records every prediction (key, model version, entity, feature as-of, input, output) in a daily partition', async () => {
      const v = await register('logged', models.linear_forecast_basic as Buffer, {
        metadata: { imputation: { lag_168h: 7 } },
      });
      expect(v.status).toBe(200);
      const got = await api.predictions.predict.query({
        model: 'logged@1',
        entityIds: ['m1', 'm2', 'nope'],
        includeFeatures: true,
      });
      type Row = {
        entity_id: string;
        key_name: string;
        features_as_of: Date;
        input: number[];
        output: number | null;
      };
      let rows: Row[] = [];
      for (let i = 0; i < 50 && rows.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        rows = (
          await pool.query<Row>(
            'SELECT entity_id, key_name, features_as_of, input, output FROM prediction_log WHERE model_version_id = $1 ORDER BY entity_id',
            [v.id],
          )
        ).rows;
      }
      expect(rows.map((r) => r.entity_id)).toEqual(['m1', 'm2']); // an unknown entity has no prediction to log
      rows.forEach((row, i) => {
        const p = got.predictions[i];
        expect(row.key_name).toBe('initial-admin');
        expect(row.features_as_of).toEqual(p?.asOf);
        expect(row.input).toEqual(
          Object.values(p?.features ?? {}).map((x, j) => x ?? (j === 2 ? 7 : Number.NaN)),
        );
        expect(row.output).toBeCloseTo(p?.prediction as number, 4);
      });
      const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      const partition = await pool.query(
        `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname = $1`,
        [`prediction_log_p${day}`],
      );
      expect(partition.rowCount).toBe(1);
    });

    it('counts the rows written on /metrics, as many as the table holds', async () => {
      await api.predictions.predict.query({ model: 'logged@1', entityIds: ['m1', 'm2', 'm3'] });
      let written: number | undefined;
      let stored = -1;
      for (let i = 0; i < 50 && written !== stored; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        stored = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM prediction_log')).rows[0]
          ?.n as number;
        written = sample(await scrape(server.url), 'aihub_prediction_log_rows_total', { outcome: 'written' });
      }
      expect(stored).toBeGreaterThanOrEqual(5); // 2 + 3 above, and the earlier tests' predictions
      expect(written).toBe(stored);
      const text = await scrape(server.url);
      expect(sample(text, 'aihub_prediction_log_rows_total', { outcome: 'dropped_queue_full' })).toBe(0);
      expect(sample(text, 'aihub_prediction_log_failed_batches_total')).toBe(0);
    });

    it('the retention job drops whole day partitions older than PREDICTION_LOG_RETENTION_DAYS (30), nothing newer', async () => {
      const DAY = 24 * HOUR;
      const cutoffDay = Math.floor((Date.now() - 30 * DAY) / DAY) * DAY;
      const days = {
        old: cutoffDay - 5 * DAY,
        lastOld: cutoffDay - DAY, // ends exactly at the cutoff's day: wholly older
        straddling: cutoffDay, // holds the cutoff: some of its hours are newer, so it stays
        newer: cutoffDay + DAY,
      };
      const name = (day: number) =>
        `prediction_log_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
      await pool.query('SELECT aihub_ensure_prediction_log_partitions($1, $2)', [
        new Date(days.old),
        new Date(days.newer + DAY),
      ]);
      // Writing predictions does not drop anything (the writer only creates partitions ahead).
      await api.predictions.predict.query({ model: 'logged@1', entityIds: ['m1'] });
      const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
      const result = await root.maintenance.retention.mutate();
      const expected = [];
      for (let day = days.old; day <= days.lastOld; day += DAY) expected.push(name(day));
      expect(result.predictionLogPartitionsDropped).toEqual(expected);
      const left = await pool.query<{ relname: string }>(
        `SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'prediction_log_p%' ORDER BY 1`,
      );
      const names = left.rows.map((r) => r.relname);
      expect(names).toContain(name(days.straddling));
      expect(names).toContain(name(days.newer));
      expect(names.filter((n) => n <= name(days.lastOld))).toEqual([]);
    });
  });
});
