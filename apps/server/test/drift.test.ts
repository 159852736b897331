import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FeatureRow } from '@aihub/core';
import {
  createDb,
  PgDriftRepository,
  PgExportRepository,
  PgModelRegistryRepository,
  PgServedFeatureHistory,
} from '@aihub/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { measureProductionDrift } from '../src/drift/measure-drift.js';
import { createLogger } from '../src/logger.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, failure, HOUR, waitFor } from './support/feature-data.js';
import { putArtifact } from './models-support.js';
import { seededRandom } from './support/seeded-random.js';

/*
 * Drift of a production model: 40 meters with the same daily pattern every day train a model on
 * nine days; the last day's served vectors are that day's real vectors, except two features that
 * are deliberately shifted (and one that loses 40 % of its values, which is a null-fraction change,
 * not a shift). Exactly the two shifted features are flagged.
 */

const ENTITIES = 40;
const FEATURES = ['lag_1h', 'lag_2h', 'lag_24h', 'hour_of_day'];

describe('feature drift of a production model', () => {
  let server: TestServer;
  let a: AihubClient;
  let token: string;
  let projectId: string;
  let hour: number;
  let served: FeatureRow[];

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const created = await root.projects.create.mutate({ name: 'drift-a' });
    token = created.adminKey.token;
    projectId = created.project.id;
    a = createAihubClient({ url: server.url, apiKey: token });
    hour = currentHour();
    const ids = Array.from({ length: ENTITIES }, (_, e) => `meter-${e}`);
    await a.ingest.entities.mutate({ records: ids.map((entity_id) => ({ entity_id })) });
    // One reading per hour for 11 days before the current hour: a level per meter, a daily cycle, noise.
    const next = seededRandom(7);
    const readings = [];
    for (let h = 264; h >= 1; h--) {
      const start = hour - h * HOUR;
      const hourOfDay = new Date(start).getUTCHours();
      for (let e = 0; e < ENTITIES; e++) {
        const value = 10 + e * 0.5 + 5 * Math.sin((2 * Math.PI * hourOfDay) / 24) + next() * 2;
        readings.push({
          entity_id: ids[e],
          metric: 'kwh',
          ts: new Date(start + 30 * 60_000).toISOString(),
          value,
        });
      }
    }
    for (let i = 0; i < readings.length; i += 10_000) {
      await a.ingest.readings.mutate({ records: readings.slice(i, i + 10_000), strict: true });
    }
    await a.aggregates.refresh.mutate();
    await a.features.defineSet.mutate({ name: 'drift_probe', features: FEATURES });

    // Trained on nine days that end where the served day starts.
    const exported = await a.features.export.mutate({
      featureSet: 'drift_probe',
      metric: 'kwh',
      range: { start: new Date(hour - 239 * HOUR), end: new Date(hour - 23 * HOUR) },
    });
    const done = await waitFor(
      () => a.features.exportGet.query({ id: exported.id }),
      (e) => e.status !== 'queued' && e.status !== 'running',
      60_000,
    );
    expect(done.status).toBe('succeeded');
    const { version, upload } = await a.models.register.mutate({
      name: 'load-forecast',
      format: 'other',
      lineage: { featureSet: 'drift_probe', featureSetVersion: 1, targetMetric: 'kwh', exportId: done.id },
    });
    const bytes = (async function* () {
      yield new Uint8Array([1, 2, 3]);
    })();
    expect((await putArtifact(server.url, token, upload.path, bytes)).status).toBe(200);
    await a.models.promote.mutate({ name: 'load-forecast', version: version.version, to: 'production' });

    // The served day: the real vectors of the 24 hours up to the current one, as materialization
    // writes them to the history, with lag_1h and hour_of_day shifted and lag_24h 40 % missing.
    const offline = await a.features.offline.query({
      featureSet: 'drift_probe',
      metric: 'kwh',
      range: { start: new Date(hour - 23 * HOUR), end: new Date(hour + HOUR) },
    });
    expect(offline.rows).toHaveLength(ENTITIES * 24);
    served = offline.rows.map((row, i) => {
      const [lag1, lag2, lag24] = row.values as [number, number, number, number];
      return {
        entityId: row.entityId,
        asOf: row.asOf,
        values: [lag1 * 1.3 + 4, lag2, i % 5 < 2 ? null : lag24, 3],
      };
    });
    const db = createDb({ url: server.env.DATABASE_URL, poolMax: 2 });
    try {
      const key = { projectId, featureSet: 'drift_probe', version: 1, metric: 'kwh' };
      await new PgServedFeatureHistory(db.pool).append(key, served, new Date());
    } finally {
      await db.close();
    }
  }, 120_000);
  afterAll(async () => server?.stop());

  it('flags exactly the shifted features, with PSI computed from the training bins', async () => {
    const report = await a.features.drift.query({ model: 'load-forecast@production' });
    expect(report).toMatchObject({
      model: 'load-forecast',
      version: 1,
      stage: 'production',
      featureSet: 'drift_probe',
      featureSetVersion: 1,
      metric: 'kwh',
      servedVectors: ENTITIES * 24,
      trigger: 'request',
      windowStart: new Date(hour - 23 * HOUR),
      windowEnd: new Date(hour + HOUR),
    });
    expect(report.flagged).toEqual(['lag_1h', 'hour_of_day']);
    const byName = Object.fromEntries(report.features.map((f) => [f.feature, f]));
    expect(byName.lag_2h?.psi).toBeLessThan(0.1);
    expect(byName.lag_24h?.psi).toBeLessThan(0.1);
    // lag_24h: never null in training, 2 of every 5 served vectors lack it.
    expect(byName.lag_24h).toMatchObject({ trainingNullFraction: 0, servedCount: 576, flagged: false });
    expect(byName.lag_24h?.nullFractionChange).toBeCloseTo(0.4, 12);
    // hour_of_day was uniform over 0..23 in training (nine whole days), so its bins, cut at the
    // exact quantiles 0, 1, 5, 11, 17, 22, 23, hold 1, 1, 4, 6, 6, 5, 1, 0 twenty-fourths. Every
    // served value is 3, in the bin (1, 5]. PSI by hand, proportions floored at 1e-4:
    const expected = [1, 1, 4, 6, 6, 5, 1, 0].map((n) => Math.max(n / 24, 1e-4));
    const actual = [0, 0, 1, 0, 0, 0, 0, 0].map((p) => Math.max(p, 1e-4));
    const psi = expected.reduce(
      (sum, e, i) => sum + ((actual[i] as number) - e) * Math.log((actual[i] as number) / e),
      0,
    );
    expect(byName.hour_of_day?.psi).toBeCloseTo(psi, 9);
    expect(byName.hour_of_day?.servedNullFraction).toBe(0);
  });

  it('keeps the history: the scheduled job and each request add a report', async () => {
    const db = createDb({ url: server.env.DATABASE_URL, poolMax: 2 });
    try {
      const deps = {
        reports: new PgDriftRepository(db.pool),
        models: new PgModelRegistryRepository(db.pool),
        exports: new PgExportRepository(db.pool),
      };
      const result = await measureProductionDrift(deps, createLogger('silent'));
      expect(result).toMatchObject({ measured: 1, flagged: 1, failed: 0 });
    } finally {
      await db.close();
    }
    const report = await a.features.drift.query({ model: 'load-forecast@1', historyLimit: 5 });
    expect(report.history.map((h) => h.trigger)).toEqual(['schedule', 'request']);
    expect(report.history.every((h) => h.flagged.join() === 'lag_1h,hour_of_day')).toBe(true);
    // A day with nothing served: no vectors, nothing flagged.
    const quiet = await a.features.drift.query({
      model: 'load-forecast@production',
      end: new Date(hour - 48 * HOUR),
    });
    expect(quiet).toMatchObject({ servedVectors: 0, flagged: [] });
  });

  it('aihub features drift prints one line per feature and names the drifted ones', async () => {
    const cli = new URL('../../cli/dist/aihub.mjs', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'features', 'drift', 'load-forecast@production', '--url', server.url],
      { env: { ...process.env, AIHUB_API_KEY: token } },
    );
    expect(stdout).toContain(`load-forecast v1 (production): ${ENTITIES * 24} vectors served from`);
    expect(stdout).toMatch(/^lag_1h +[\d.]+ +0 +0 +0 +960 +DRIFT$/m);
    expect(stdout).toMatch(/^lag_2h +[\d.e-]+ +0 +0 +0 +960$/m);
    expect(stdout).toContain('drift (PSI above 0.2) in 2 of 4 features: lag_1h, hour_of_day');
  });

  it('answers a clear error for a malformed reference or a model without a training export', async () => {
    const malformed = await failure(a.features.drift.query({ model: 'load-forecast' }));
    expect(malformed.code).toBe('BAD_REQUEST');
    expect(malformed.fields).toHaveProperty('model');
    expect((await failure(a.features.drift.query({ model: 'ghost@production' }))).code).toBe('NOT_FOUND');
    await a.models.register.mutate({ name: 'untrained', format: 'onnx' });
    const untrained = await failure(a.features.drift.query({ model: 'untrained@1' }));
    expect(untrained.code).toBe('PRECONDITION_FAILED');
    expect(untrained.message).toContain('no training export');
  });
});
