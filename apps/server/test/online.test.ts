import { PREDEFINED_FEATURE_SETS } from '@aihub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, failure, HOUR, readingValue, seedHistory, waitFor } from './support/feature-data.js';

const HISTORY_HOURS = 200;

describe('online serving: materialize, features.get, fallback and consistency', () => {
  let server: TestServer;
  let a: AihubClient;
  let aReader: AihubClient;
  let b: AihubClient;
  let endHour: number;

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const aKey = (await root.projects.create.mutate({ name: 'online-a' })).adminKey.token;
    a = createAihubClient({ url: server.url, apiKey: aKey });
    aReader = createAihubClient({
      url: server.url,
      apiKey: (await a.keys.create.mutate({ name: 'model', role: 'reader' })).token,
    });
    b = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'online-b' })).adminKey.token,
    });
    endHour = currentHour();
    await seedHistory(a, endHour, HISTORY_HOURS);
  });
  afterAll(async () => server?.stop());

  it('serves the same vector online and offline for every predefined set (same entity, same hour)', async () => {
    for (const featureSet of Object.keys(PREDEFINED_FEATURE_SETS)) {
      const result = await a.features.materialize.mutate({ featureSet, metric: 'kwh' });
      expect(result.entities).toBe(2); // m1 and m2 have readings; m3 has none
      const got = await a.features.get.query({ featureSet, metric: 'kwh', entityIds: ['m1', 'm2'] });
      expect(got.columns).toEqual(PREDEFINED_FEATURE_SETS[featureSet]);
      for (const vector of got.vectors) {
        expect(vector.source, featureSet).toBe('online');
        expect(vector.stale).toBe(false);
        const offline = await a.features.offline.query({
          featureSet,
          metric: 'kwh',
          spine: [{ entityId: vector.entityId, asOf: vector.asOf }],
        });
        expect(vector.values, `${featureSet} ${vector.entityId}`).toEqual(offline.rows[0]?.values);
        expect(vector.values.some((v) => v !== null)).toBe(true);
      }
    }
  });

  it('matches values computed by hand from the seeded readings', async () => {
    const got = await a.features.get.query({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      entityIds: ['m1'],
    });
    const v = got.vectors[0];
    if (!v || v.asOf.getTime() !== endHour) return; // the hour rolled over mid-test: covered above
    const col = (name: string) => v.values[got.columns.indexOf(name)];
    // Hour index HISTORY_HOURS - 1 is the hour before endHour; the reading inside endHour is excluded.
    const prev = (readingValue(0, HISTORY_HOURS - 1, 0) + readingValue(0, HISTORY_HOURS - 1, 1)) / 2;
    expect(col('lag_1h')).toBeCloseTo(prev, 9);
    const last24: number[] = [];
    for (let i = HISTORY_HOURS - 24; i < HISTORY_HOURS; i++)
      last24.push(readingValue(0, i, 0), readingValue(0, i, 1));
    expect(col('rolling_24h_mean')).toBeCloseTo(last24.reduce((s, x) => s + x, 0) / 48, 9);
    expect(col('rolling_24h_max')).toBe(Math.max(...last24));
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    expect(col('hour_of_day')).toBe(Number(berlin.format(new Date(endHour))));
    expect(col('weather_temperature_c')).toBe(5); // the forecast row with ts = H (h = 0)
    expect(got.columns).not.toContain('label_next_1h');
  });

  it('computes from PostgreSQL what is not online: unmaterialized entities and sets, and past hours', async () => {
    const got = await a.features.get.query({
      featureSet: 'anomaly_detection',
      metric: 'kwh',
      entityIds: ['m3', 'm1', 'm3'],
    });
    expect(got.vectors.map((v) => [v.entityId, v.source])).toEqual([
      ['m3', 'offline'],
      ['m1', 'online'],
      ['m3', 'offline'],
    ]);
    const m3 = got.vectors[0];
    expect(m3?.values[got.columns.indexOf('last_hour_count')]).toBe(0);
    expect(m3?.values[got.columns.indexOf('lag_1h')]).toBeNull();

    await a.features.defineSet.mutate({ name: 'short', features: ['lag_2h', 'rolling_3h_mean'] });
    const custom = await a.features.get.query({ featureSet: 'short', metric: 'kwh', entityIds: ['m1'] });
    expect(custom.vectors[0]?.source).toBe('offline');
    const offline = await a.features.offline.query({
      featureSet: 'short',
      metric: 'kwh',
      spine: [{ entityId: 'm1', asOf: custom.vectors[0]?.asOf as Date }],
    });
    expect(custom.vectors[0]?.values).toEqual(offline.rows[0]?.values);

    const past = new Date(endHour - 30 * HOUR + 17 * 60_000);
    const pit = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
      asOf: past,
    });
    expect(pit.vectors[0]).toMatchObject({
      source: 'offline',
      stale: false,
      asOf: new Date(endHour - 30 * HOUR),
    });
    const expected = await a.features.offline.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      spine: [{ entityId: 'm1', asOf: past }],
    });
    expect(pit.vectors[0]?.values).toEqual(expected.rows[0]?.values);
  });

  it('keeps the online vectors current after each aggregate refresh (the scheduled job)', async () => {
    await a.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
    const before = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m2'],
    });
    const hour = before.vectors[0]?.asOf.getTime() as number;
    // A late reading in the previous hour: ingest requests a refresh; the refresh flags the
    // materializations and the job rewrites the vectors.
    await a.ingest.readings.mutate({
      records: [
        {
          entity_id: 'm2',
          metric: 'kwh',
          ts: new Date(hour - HOUR + 55 * 60_000).toISOString(),
          value: 1000,
        },
      ],
    });
    const after = await waitFor(
      () => a.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: ['m2'] }),
      (r) => r.vectors[0]?.source === 'online' && r.vectors[0]?.values[0] !== before.vectors[0]?.values[0],
      30_000,
    );
    const offline = await a.features.offline.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      spine: [{ entityId: 'm2', asOf: after.vectors[0]?.asOf as Date }],
    });
    expect(after.vectors[0]?.values).toEqual(offline.rows[0]?.values);
    const registrations = await a.features.materializations.query();
    expect(registrations.map((r) => `${r.featureSet}@${r.version}:${r.metric}`).sort()).toEqual([
      'anomaly_detection@1:kwh',
      'forecast_advanced@1:kwh',
      'forecast_basic@1:kwh',
    ]);
    expect(registrations.every((r) => r.enabled && r.lastError === null && r.lastEntities === 2)).toBe(true);
  });

  it('cuts weather at H online and offline alike: a forecast issued inside the hour waits for the next', async () => {
    const H = currentHour();
    const iso = (ms: number) => new Date(ms).toISOString();
    const col = (PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[]).indexOf(
      'weather_temperature_c',
    );
    await a.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' });
    // Hour H's seeded forecast (issued H - 6h) says 5. Now two more issues of hour H arrive after
    // the vectors were materialized: one issued a minute before H (in time: it must reach the
    // online vector) and one issued one second into the hour (too late for this hour).
    await a.ingest.weather.mutate({
      records: [
        { location_id: 'loc-1', ts: iso(H), issued_at: iso(H + 1000), temperature_c: 99.9 },
        { location_id: 'loc-1', ts: iso(H), issued_at: iso(H - 60_000), temperature_c: 42 },
      ],
    });
    const online = await waitFor(
      () => a.features.get.query({ featureSet: 'forecast_advanced', metric: 'kwh', entityIds: ['m1'] }),
      (r) => currentHour() !== H || (r.vectors[0]?.source === 'online' && r.vectors[0]?.values[col] === 42),
      30_000,
    );
    if (currentHour() !== H) return; // the hour rolled over mid-test: nothing to compare
    const offline = await a.features.offline.query({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      spine: [{ entityId: 'm1', asOf: new Date() }],
    });
    expect(offline.rows[0]?.values[col]).toBe(42);
    expect(online.vectors[0]?.values).toEqual(offline.rows[0]?.values);
    // One hour later hour H is the lag-1 hour, and its latest issue known at H + 1h is the H + 1 s one.
    await a.features.defineSet.mutate({
      name: 'wx_now_and_before',
      features: ['weather_temperature_c', 'weather_temperature_c_lag_1h'],
    });
    const next = await a.features.offline.query({
      featureSet: 'wx_now_and_before',
      metric: 'kwh',
      spine: [
        { entityId: 'm1', asOf: new Date(H + 30 * 60_000) },
        { entityId: 'm1', asOf: new Date(H + HOUR) },
      ],
    });
    // Seeded forecasts: temperature 5 + (h % 7) for the hour endHour - h h (h = -1 is the next hour).
    const seeded = (hourMs: number) => 5 + (((endHour - hourMs) / HOUR) % 7);
    expect(next.rows.map((r) => r.values)).toEqual([
      [42, seeded(H - HOUR)],
      [seeded(H + HOUR), 99.9],
    ]);
  });

  it('gives an observation-only project weather from weather_<field>_lag_<n>h (online and offline)', async () => {
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const c = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'online-observed' })).adminKey.token,
    });
    const H = currentHour();
    const iso = (ms: number) => new Date(ms).toISOString();
    await c.ingest.entities.mutate({ records: [{ entity_id: 'site', location_id: 'station' }] });
    await c.ingest.readings.mutate({
      records: [{ entity_id: 'site', metric: 'kw', ts: iso(H - 2 * HOUR + 60_000), value: 3 }],
    });
    // Hourly observations as a weather station reports them: no issued_at (known at ts + 1h).
    const observed = Array.from({ length: 5 }, (_, i) => ({
      location_id: 'station',
      ts: iso(H - (i + 1) * HOUR),
      temperature_c: 10 + i,
      humidity_pct: 80 - i,
    }));
    await c.ingest.weather.mutate({ records: observed, strict: true });
    await c.aggregates.refresh.mutate();
    await c.features.defineSet.mutate({
      name: 'observed_weather',
      features: ['weather_temperature_c', 'weather_temperature_c_lag_1h', 'weather_humidity_pct_lag_2h'],
    });
    await c.features.materialize.mutate({ featureSet: 'observed_weather', metric: 'kw' });
    const got = await c.features.get.query({
      featureSet: 'observed_weather',
      metric: 'kw',
      entityIds: ['site'],
    });
    if (got.vectors[0]?.asOf.getTime() !== H) return; // the hour rolled over mid-test
    // weather_temperature_c needs a forecast of hour H: none. Lag 1 = hour H-1 (i = 0), observed
    // at H; lag 2 = hour H-2 (i = 1): humidity 79.
    expect(got.vectors[0]).toMatchObject({ source: 'online', status: 'ok', values: [null, 10, 79] });
    const offline = await c.features.offline.query({
      featureSet: 'observed_weather',
      metric: 'kw',
      spine: [{ entityId: 'site', asOf: new Date(H + 59 * 60_000) }],
    });
    expect(offline.rows[0]?.values).toEqual([null, 10, 79]);
  });

  it('answers unknown entity ids with status unknown_entity and the others normally', async () => {
    const got = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['ghost', 'm1', 'm3', 'ghost-2', 'm2'],
    });
    const hour = got.vectors[1]?.asOf as Date;
    expect(got.vectors.map((v) => [v.entityId, v.status, v.source])).toEqual([
      ['ghost', 'unknown_entity', 'none'],
      ['m1', 'ok', 'online'],
      ['m3', 'ok', 'offline'], // known, no readings: computed (calendar values, null lags)
      ['ghost-2', 'unknown_entity', 'none'],
      ['m2', 'ok', 'online'],
    ]);
    expect(got.vectors[0]).toEqual({
      entityId: 'ghost',
      asOf: hour,
      values: [null, null, null, null, null, null],
      source: 'none',
      stale: false,
      status: 'unknown_entity',
    });
    expect(got.vectors[2]?.values.slice(0, 3)).toEqual([null, null, null]);
    expect(got.vectors[2]?.values[3]).toBe(new Date(hour).getUTCHours()); // m3's timezone is UTC
    // All unknown, and through the PostgreSQL path only (a past hour): still an answer, not an error.
    const past = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['nobody'],
      asOf: new Date(endHour - 5 * HOUR),
    });
    expect(past.vectors.map((v) => [v.status, v.values.every((x) => x === null)])).toEqual([
      ['unknown_entity', true],
    ]);
  });

  it('refuses a metric the project never recorded, naming it and the known ones', async () => {
    const typo = await failure(
      a.features.get.query({ featureSet: 'forecast_basic', metric: 'kwhh', entityIds: ['m1', 'ghost'] }),
    );
    expect(typo).toMatchObject({
      code: 'BAD_REQUEST',
      message: "metric: no readings of 'kwhh' were ever recorded in this project (known metrics: 'kwh')",
    });
    expect(typo.fields).toHaveProperty('metric');
  });

  it('rejects bad input at the boundary, naming the field', async () => {
    const base = { featureSet: 'forecast_basic', metric: 'kwh' };
    expect((await failure(a.features.get.query({ ...base, entityIds: [] }))).fields).toHaveProperty(
      'entityIds',
    );
    const many = Array.from({ length: 1001 }, (_, i) => `e${i}`);
    expect((await failure(a.features.get.query({ ...base, entityIds: many }))).fields).toHaveProperty(
      'entityIds',
    );
    const future = await failure(
      a.features.get.query({ ...base, entityIds: ['m1'], asOf: new Date(Date.now() + 3 * HOUR) }),
    );
    expect(future.fields).toHaveProperty('asOf');
    expect(
      (await failure(a.features.get.query({ ...base, metric: 'bad metric', entityIds: ['m1'] }))).fields,
    ).toHaveProperty('metric');
    expect(
      (await failure(a.features.get.query({ ...base, featureSet: 'nope', entityIds: ['m1'] }))).code,
    ).toBe('NOT_FOUND');
    expect((await failure(a.features.get.query({ ...base, version: 2, entityIds: ['m1'] }))).code).toBe(
      'NOT_FOUND',
    );
    expect(
      (await failure(a.features.materialize.mutate({ featureSet: 'BAD', metric: 'kwh' }))).fields,
    ).toHaveProperty('featureSet');
  });

  it('enforces roles: readers get features, only writers materialize', async () => {
    const got = await aReader.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
    });
    expect(got.vectors).toHaveLength(1);
    expect(
      (await failure(aReader.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' })))
        .code,
    ).toBe('FORBIDDEN');
  });

  it('keeps projects apart: the same entity id and set never share online vectors', async () => {
    expect(
      (
        await failure(
          b.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: ['m1'] }),
        )
      ).code,
    ).toBe('BAD_REQUEST');
    await b.ingest.entities.mutate({ records: [{ entity_id: 'm1' }] });
    const hour = currentHour();
    await b.ingest.readings.mutate({
      records: [
        { entity_id: 'm1', metric: 'kwh', ts: new Date(hour - HOUR + 60_000).toISOString(), value: 777 },
      ],
    });
    await b.aggregates.refresh.mutate();
    await b.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
    const mine = await b.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
    });
    const theirs = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
    });
    expect(mine.vectors[0]).toMatchObject({ source: 'online' });
    if (mine.vectors[0]?.asOf.getTime() === hour) expect(mine.vectors[0]?.values[0]).toBe(777);
    expect(theirs.vectors[0]?.values[0]).not.toBe(777);
    expect((await b.features.materializations.query()).map((r) => r.featureSet)).toEqual(['forecast_basic']);
  });

  it('disables a materialization', async () => {
    const off = await a.features.materialize.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      enabled: false,
    });
    expect(off).toMatchObject({ registration: { enabled: false }, entities: 0 });
  });
});
