import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreLastCompleteHour, scoreVersionHour } from '../src/anomalies/score-last-hour.js';
import { type App, createApp } from '../src/app.js';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { createLogger } from '../src/logger.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { putArtifact } from './models-support.js';
import { currentHour, failure, HOUR } from './support/feature-data.js';
import { seededRandom } from './support/seeded-random.js';
import { makeTestModels, TEST_MODELS } from './support/test-models.js';

/*
 * Anomaly detection against the real services. Two meters (UTC) have one reading per hour, made BY
 * the linear test model: each hour's value is the model's output for the features as of the hour
 * (computed here from the earlier values: lag_1h, lag_24h, lag_168h, hour/day of week, weekend),
 * plus seeded noise in [-0.5, 0.5]. One spike of +150 is injected at SPIKE hours before the end (s1)
 * and at the last complete hour (s1 and s2). So the model's residual is the noise everywhere but at
 * the spikes, and every expectation below (actual, prediction, rolling 24 h mean and sample std of
 * the raw readings in [h − 24h, h), flags) is computed here by hand from the generated values.
 */

const HOURS = 400;
const SPIKE = 30;
const SPIKE_SIZE = 150;
const LINEAR = TEST_MODELS.linear_forecast_basic as { weights: number[]; bias: number };

/** The linear model by hand, on the forecast_basic features as of hour start `h` (UTC entity). */
function linearAt(values: Map<number, number>, h: number): number {
  const d = new Date(h);
  const dow = ((d.getUTCDay() + 6) % 7) + 1;
  const row = [
    values.get(h - HOUR) as number,
    values.get(h - 24 * HOUR) as number,
    values.get(h - 168 * HOUR) as number,
    d.getUTCHours(),
    dow,
    dow >= 6 ? 1 : 0,
  ];
  return LINEAR.weights.reduce((sum, w, j) => sum + w * (row[j] as number), LINEAR.bias);
}

/** Mean and sample std of the readings in [h − 24h, h) (one per hour here). */
function rolling(values: Map<number, number>, h: number): { mean: number; std: number } {
  const xs = Array.from({ length: 24 }, (_, k) => values.get(h - (k + 1) * HOUR) as number);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

const close = (got: number | null, want: number, rel: number) =>
  got !== null && Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));

describe('anomalies: detect, the scheduled job and its flags', () => {
  let server: TestServer;
  let app: App;
  let api: AihubClient;
  let projectId: string;
  let endHour: number;
  const series = new Map<string, Map<number, number>>();

  beforeAll(async () => {
    // Flags are kept one day here, so retention has something to delete.
    server = await startTestServer({ ANOMALY_RETENTION_DAYS: '1' });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const created = await root.projects.create.mutate({ name: 'anomalies' });
    projectId = created.project.id;
    const key = created.adminKey.token;
    api = createAihubClient({ url: server.url, apiKey: key });
    // The job's deps, as the composition root builds them (no workers: the test runs the job).
    app = await createApp({ ...server.env, AIHUB_WORKERS: false }, createLogger('silent'));
    endHour = currentHour();
    const next = seededRandom(12);
    await api.ingest.entities.mutate({ records: [{ entity_id: 's1' }, { entity_id: 's2' }] });
    const readings: { entity_id: string; metric: string; ts: string; value: number }[] = [];
    for (const [e, id] of ['s1', 's2'].entries()) {
      const values = new Map<number, number>();
      for (let i = HOURS; i >= 1; i--) {
        const h = endHour - i * HOUR;
        const base = i > HOURS - 168 ? 20 + e * 5 + (i % 24) * 0.5 : linearAt(values, h);
        const spike = (id === 's1' && i === SPIKE) || i === 1 ? SPIKE_SIZE : 0;
        const value = Math.round((base + next() - 0.5 + spike) * 1e6) / 1e6;
        values.set(h, value);
        readings.push({ entity_id: id, metric: 'kwh', ts: new Date(h + 30 * 60_000).toISOString(), value });
      }
      series.set(id, values);
    }
    await api.ingest.readings.mutate({ records: readings, strict: true });
    await api.aggregates.refresh.mutate();
    const bytes = makeTestModels().linear_forecast_basic as Buffer;
    const register = async (name: string, metadata: Record<string, never>) => {
      const { version, upload } = await api.models.register.mutate({
        name,
        format: 'onnx',
        lineage: { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh' },
        metadata,
      });
      const put = await putArtifact(
        server.url,
        key,
        upload.path,
        (async function* () {
          yield bytes;
        })(),
      );
      return { id: version.id, ...put };
    };
    // Opted in; and a production model that did not opt in (the job leaves it alone).
    for (const [name, metadata] of [
      ['load-linear', { anomalies: { threshold: 3 } }],
      ['load-plain', {}],
    ] as const) {
      const done = await register(name, metadata as Record<string, never>);
      expect(done.status).toBe(200);
      await api.models.promote.mutate({ id: done.id, to: 'production' });
    }
    // An opt-in that does not parse is refused at registration, naming the key.
    const refused = await register('load-bad', { anomalies: { threshold: -1 } } as unknown as Record<
      string,
      never
    >);
    expect(refused.status).toBe(400);
    expect(refused.json.error?.message).toMatch(/metadata\.anomalies/);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('without a model: each hour against the rolling 24 h mean, flagged beyond 3 x the rolling 24 h std (the spike only)', async () => {
    const start = new Date(endHour - 48 * HOUR);
    const end = new Date(endHour - 2 * HOUR);
    const got = await api.anomalies.detect.query({ metric: 'kwh', start, end });
    expect(got.model).toBeNull();
    expect(got.expectation).toBe('rolling_24h_mean');
    expect(got.threshold).toBe(3);
    expect(got.hoursScored).toBe(46);
    expect(got.rows).toHaveLength(2 * 46);
    const flagged: string[] = [];
    for (const row of got.rows) {
      const values = series.get(row.entityId) as Map<number, number>;
      const h = row.hour.getTime();
      const actual = values.get(h) as number;
      const { mean, std } = rolling(values, h);
      expect(row.actual).toBe(actual);
      expect(close(row.expected, mean, 1e-9), `mean ${row.entityId} ${row.hour.toISOString()}`).toBe(true);
      expect(close(row.std, std, 1e-6), `std ${row.entityId} ${row.hour.toISOString()}`).toBe(true);
      expect(close(row.residual, actual - mean, 1e-9)).toBe(true);
      expect(row.flagged).toBe(Math.abs(actual - mean) > 3 * std);
      if (row.flagged) flagged.push(`${row.entityId}@${(endHour - h) / HOUR}`);
    }
    expect(flagged).toEqual([`s1@${SPIKE}`]);
    expect(got.flagged).toBe(1);
  });

  it('with the linear model: its prediction from the features as of each hour (by hand from its weights), the residual, the flag', async () => {
    const start = new Date(endHour - 48 * HOUR);
    const end = new Date(endHour - 2 * HOUR);
    const got = await api.anomalies.detect.query({
      model: 'load-linear@production',
      metric: 'kwh',
      entityIds: ['s1', 's2'],
      start,
      end,
      threshold: 3,
    });
    expect(got.model).toMatchObject({ name: 'load-linear', version: 1, stage: 'production' });
    expect(got.expectation).toBe('model');
    const flagged: string[] = [];
    for (const row of got.rows) {
      const values = series.get(row.entityId) as Map<number, number>;
      const h = row.hour.getTime();
      const actual = values.get(h) as number;
      const predicted = linearAt(values, h);
      const { std } = rolling(values, h);
      // float32 inside the model: agree to float32 precision.
      expect(close(row.expected, predicted, 1e-5), `${row.entityId} ${row.hour.toISOString()}`).toBe(true);
      expect(close(row.std, std, 1e-6)).toBe(true);
      expect(close(row.residual, actual - predicted, 1e-5)).toBe(true);
      expect(row.flagged).toBe(Math.abs(actual - predicted) > 3 * std);
      if (row.flagged) flagged.push(`${row.entityId}@${(endHour - h) / HOUR}`);
    }
    // The model explains the hour after the spike (its lag_1h carries it): only the spike stands out.
    expect(flagged).toEqual([`s1@${SPIKE}`]);
    // The same vectors features.offline gives for that spine: the prediction from them by hand.
    const offline = await api.features.offline.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      spine: [{ entityId: 's1', asOf: new Date(endHour - SPIKE * HOUR) }],
    });
    const vector = offline.rows[0]?.values as number[];
    const fromOffline = LINEAR.weights.reduce((sum, w, j) => sum + w * (vector[j] as number), LINEAR.bias);
    const spikeRow = got.rows.find((r) => r.entityId === 's1' && r.hour.getTime() === endHour - SPIKE * HOUR);
    expect(close(spikeRow?.expected ?? null, fromOffline, 1e-5)).toBe(true);
  });

  it('bounds its input with BAD_REQUEST naming the field, accepting the limits themselves', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    await api.ingest.entities.mutate({ records: ids.map((entity_id) => ({ entity_id })) });
    // 1000 entities x 10 hours = 10,000 entity-hours: the limit, accepted.
    const tenHours = { start: new Date(endHour - 100 * HOUR), end: new Date(endHour - 90 * HOUR) };
    const atLimit = await api.anomalies.detect.query({ metric: 'kwh', entityIds: ids, ...tenHours });
    expect(atLimit.rows).toHaveLength(10_000);
    expect(atLimit.rows.every((r) => r.actual === null && !r.flagged)).toBe(true);
    const overRows = await failure(
      api.anomalies.detect.query({
        metric: 'kwh',
        entityIds: ids,
        start: tenHours.start,
        end: new Date(endHour - 89 * HOUR),
      }),
    );
    expect(overRows.code).toBe('BAD_REQUEST');
    expect(overRows.fields?.entityIds?.[0]).toMatch(
      /1000 entities x 11 hours = 11000 entity-hours; at most 10000/,
    );
    const overEntities = await failure(
      api.anomalies.detect.query({ metric: 'kwh', entityIds: [...ids, 's1'], ...tenHours }),
    );
    expect(overEntities.code).toBe('BAD_REQUEST');
    expect(overEntities.fields?.entityIds?.[0]).toMatch(/at most 1000 entities/);
    // 744 hours (31 days) of one entity: the limit, accepted; one more is refused on `end`.
    const start = new Date(endHour - 800 * HOUR);
    const month = await api.anomalies.detect.query({
      metric: 'kwh',
      entityIds: ['s1'],
      start,
      end: new Date(start.getTime() + 744 * HOUR),
    });
    expect(month.rows).toHaveLength(744);
    const overHours = await failure(
      api.anomalies.detect.query({
        metric: 'kwh',
        entityIds: ['s1'],
        start,
        end: new Date(start.getTime() + 745 * HOUR),
      }),
    );
    expect(overHours.code).toBe('BAD_REQUEST');
    expect(overHours.fields?.end?.[0]).toMatch(/745 whole hours; at most 744/);
    for (const [input, field, message] of [
      [{ threshold: 0 }, 'threshold', /greater than 0/],
      [{ entityIds: ['nobody'] }, 'entityIds', /unknown: 'nobody'/],
      [{ start: new Date(endHour), end: new Date(endHour - HOUR) }, 'end', /start must be before end/],
      [{ metric: 'gas' }, 'metric', /./],
      [{ model: 'load-linear@production', metric: 'kwh2' }, 'metric', /predicts 'kwh', not 'kwh2'/],
    ] as const) {
      const refused = await failure(
        api.anomalies.detect.query({
          metric: 'kwh',
          start: new Date(endHour - 10 * HOUR),
          end: new Date(endHour - 5 * HOUR),
          ...(input as object),
        }),
      );
      expect(refused.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      expect(refused.fields?.[field]?.[0] ?? refused.message, JSON.stringify(input)).toMatch(message);
    }
  });

  it('the scheduled job flags the last complete hour of opted-in production models once, however often it runs; list pages; retention deletes', async () => {
    const log = createLogger('silent');
    const deps = app.deps.anomalies;
    const now = new Date(endHour + 60_000);
    for (let run = 0; run < 2; run++) {
      const result = await scoreLastCompleteHour(deps, log, now);
      expect(result).toMatchObject({ hour: new Date(endHour - HOUR), versions: 1, failed: 0 });
      // Only the spike of each meter at the last complete hour; s1..s2 by hand below.
      expect(result.flagged).toBe(2);
    }
    const versionId = (await api.models.get.query({ name: 'load-linear', version: 1 })).id;
    // The earlier spike too, scored twice at the same time: still one row (the unique constraint).
    const twice = await Promise.all(
      [0, 1].map(() => scoreVersionHour(deps, projectId, versionId, new Date(endHour - SPIKE * HOUR))),
    );
    expect(twice.map((t) => t.flagged)).toEqual([1, 1]);

    const first = await api.anomalies.list.query({ model: 'load-linear', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await api.anomalies.list.query({
      model: 'load-linear',
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items];
    expect(all.map((f) => `${f.entityId}@${(endHour - f.hour.getTime()) / HOUR}`)).toEqual(
      expect.arrayContaining(['s1@1', 's2@1', `s1@${SPIKE}`]),
    );
    expect(all).toHaveLength(3);
    for (const flag of all) {
      const values = series.get(flag.entityId) as Map<number, number>;
      const h = flag.hour.getTime();
      const predicted = linearAt(values, h);
      expect(flag).toMatchObject({ modelName: 'load-linear', version: 1, metric: 'kwh', threshold: 3 });
      expect(flag.actual).toBe(values.get(h));
      expect(close(flag.expected, predicted, 1e-5)).toBe(true);
      expect(close(flag.std, rolling(values, h).std, 1e-6)).toBe(true);
    }
    expect((await api.anomalies.list.query({ entityId: 's2' })).items).toHaveLength(1);
    expect((await api.anomalies.list.query({ model: 'other' })).items).toHaveLength(0);
    const bad = await failure(api.anomalies.list.query({ cursor: 'nope' }));
    expect(bad.code).toBe('BAD_REQUEST');

    // Retention (ANOMALY_RETENTION_DAYS=1): the flag of 30 hours ago goes, the last hour's stay.
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    expect((await root.maintenance.retention.mutate()).anomalyFlagsDeleted).toBe(1);
    const left = await api.anomalies.list.query({});
    expect(left.items.map((f) => `${f.entityId}@${(endHour - f.hour.getTime()) / HOUR}`).sort()).toEqual([
      's1@1',
      's2@1',
    ]);
  });
});
