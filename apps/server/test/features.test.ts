import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { failure } from './support/feature-data.js';

const day = 86_400_000;

describe('feature sets, offline retrieval and retention through the API', () => {
  let server: TestServer;
  let a: AihubClient;
  let b: AihubClient;
  let root: AihubClient;

  beforeAll(async () => {
    server = await startTestServer({ AIHUB_WORKERS: 'false' });
    root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    a = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'tenant-a' })).adminKey.token,
    });
    b = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'tenant-b' })).adminKey.token,
    });
    await a.ingest.entities.mutate({ records: [{ entity_id: 'm1' }] });
    await b.ingest.entities.mutate({ records: [{ entity_id: 'm1' }] });
    // Project A has recorded `kwh` (long before the hours the tests look at); no refresh yet.
    await a.ingest.readings.mutate({
      records: [{ entity_id: 'm1', metric: 'kwh', ts: '2025-06-01T00:00:00Z', value: 1 }],
    });
  });
  afterAll(async () => server?.stop());

  it('lists the three predefined sets with their spec column order', async () => {
    const sets = await a.features.sets.query();
    const basic = sets.find((s) => s.name === 'forecast_basic');
    expect(basic).toMatchObject({ version: 1, predefined: true });
    expect(basic?.features).toEqual([
      'lag_1h',
      'lag_24h',
      'lag_168h',
      'hour_of_day',
      'day_of_week',
      'is_weekend',
    ]);
    expect(
      sets
        .filter((s) => s.predefined)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['anomaly_detection', 'forecast_advanced', 'forecast_basic']);
  });

  it('validates user-defined sets: unknown features, zero or oversize windows, duplicates, predefined names', async () => {
    const bad = await failure(
      a.features.defineSet.mutate({
        name: 'bad',
        features: ['lag_0h', 'rolling_8761h_mean', 'wind', 'lag_1h', 'lag_1h'],
      }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(Object.keys(bad.fields ?? {}).sort()).toEqual([
      'features.0',
      'features.1',
      'features.2',
      'features.4',
    ]);
    expect(bad.fields?.['features.0']?.[0]).toBe("'lag_0h': window must be 1 to 8760 hours");
    expect(bad.fields?.['features.1']?.[0]).toBe("'rolling_8761h_mean': window must be 1 to 8760 hours");
    expect(bad.fields?.['features.2']?.[0]).toBe("'wind': unknown feature");
    expect(bad.fields?.['features.4']?.[0]).toBe("'lag_1h' is listed twice");
    expect(
      (await failure(a.features.defineSet.mutate({ name: 'forecast_basic', features: ['lag_1h'] }))).code,
    ).toBe('CONFLICT');
    expect((await failure(a.features.defineSet.mutate({ name: 'empty', features: [] }))).code).toBe(
      'BAD_REQUEST',
    );
  });

  it('validates the weather lag family: fields and n from 1 to 168', async () => {
    const bad = await failure(
      a.features.defineSet.mutate({
        name: 'wx_bad',
        features: [
          'weather_temperature_c_lag_0h',
          'weather_humidity_pct_lag_169h',
          'weather_dew_point_lag_1h',
        ],
      }),
    );
    expect(bad.fields).toEqual({
      'features.0': ["'weather_temperature_c_lag_0h': weather lag must be 1 to 168 hours"],
      'features.1': ["'weather_humidity_pct_lag_169h': weather lag must be 1 to 168 hours"],
      'features.2': [
        "'weather_dew_point_lag_1h': unknown weather field 'dew_point' (one of temperature_c, humidity_pct, wind_speed_ms, solar_radiation_wm2, precipitation_mm)",
      ],
    });
    const ok = await a.features.defineSet.mutate({
      name: 'wx_ok',
      features: [
        'weather_temperature_c_lag_1h',
        'weather_precipitation_mm_lag_168h',
        'weather_solar_radiation_wm2',
      ],
    });
    expect(ok).toMatchObject({ created: true, featureSet: { version: 1 } });
  });

  it('versions user-defined sets immutably; old versions stay readable', async () => {
    const v1 = await a.features.defineSet.mutate({
      name: 'mine',
      features: ['lag_1h', 'rolling_8760h_count'],
    });
    expect(v1).toMatchObject({ created: true, featureSet: { version: 1 } });
    const again = await a.features.defineSet.mutate({
      name: 'mine',
      features: ['lag_1h', 'rolling_8760h_count'],
    });
    expect(again).toMatchObject({ created: false, featureSet: { version: 1 } });
    const v2 = await a.features.defineSet.mutate({ name: 'mine', features: ['lag_2h'] });
    expect(v2).toMatchObject({ created: true, featureSet: { version: 2, features: ['lag_2h'] } });
    const spine = [{ entityId: 'm1', asOf: new Date('2026-01-01T00:00:00Z') }];
    expect(
      (await a.features.offline.query({ featureSet: 'mine', version: 1, metric: 'kwh', spine })).columns,
    ).toEqual(['lag_1h', 'rolling_8760h_count']);
    expect((await a.features.offline.query({ featureSet: 'mine', metric: 'kwh', spine })).featureSet).toEqual(
      { name: 'mine', version: 2 },
    );
    expect(
      (await failure(a.features.offline.query({ featureSet: 'mine', version: 3, metric: 'kwh', spine })))
        .code,
    ).toBe('NOT_FOUND');
    // Project B does not see project A's set.
    expect((await failure(b.features.offline.query({ featureSet: 'mine', metric: 'kwh', spine }))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('rejects unknown entities, ambiguous requests and oversize ranges, naming the field', async () => {
    const base = { featureSet: 'forecast_basic', metric: 'kwh' } as const;
    const unknown = await failure(
      a.features.offline.query({ ...base, spine: [{ entityId: 'ghost', asOf: new Date() }] }),
    );
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST', message: "spine: unknown entity 'ghost'" });
    const both = await failure(
      a.features.offline.query({
        ...base,
        spine: [{ entityId: 'm1', asOf: new Date() }],
        range: { start: new Date(0), end: new Date(day) },
      }),
    );
    expect(both.fields).toHaveProperty('spine');
    const huge = await failure(
      a.features.offline.query({
        ...base,
        range: { entityIds: ['m1'], start: new Date(0), end: new Date(3 * 365 * day) },
      }),
    );
    expect(huge.message).toContain('use an export');
  });

  it('keeps tenants apart: the same entity id in two projects never mixes readings', async () => {
    await a.ingest.readings.mutate({
      records: [{ entity_id: 'm1', metric: 'kwh', ts: '2026-02-01T09:30:00Z', value: 10 }],
    });
    await b.ingest.readings.mutate({
      records: [{ entity_id: 'm1', metric: 'kwh', ts: '2026-02-01T09:30:00Z', value: 99 }],
    });
    await a.aggregates.refresh.mutate();
    await b.aggregates.refresh.mutate();
    const spine = [{ entityId: 'm1', asOf: new Date('2026-02-01T10:00:00Z') }];
    expect(
      (await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', spine })).rows[0]
        ?.values[0],
    ).toBe(10);
    expect(
      (await b.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', spine })).rows[0]
        ?.values[0],
    ).toBe(99);
  });

  it('serves a whole-hour range for every entity with readings of the metric', async () => {
    const result = await a.features.offline.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start: new Date('2026-02-01T09:30:00Z'), end: new Date('2026-02-01T12:00:00Z') },
      includeLabel: true,
    });
    // Whole hours in [09:30, 12:00): 10:00 and 11:00.
    expect(result.rows.map((r) => [r.entityId, r.asOf.toISOString(), r.values[0], r.label])).toEqual([
      ['m1', '2026-02-01T10:00:00.000Z', 10, null],
      ['m1', '2026-02-01T11:00:00.000Z', null, null],
    ]);
  });

  it('refuses a metric the project never recorded, naming it and the known ones', async () => {
    const spine = [{ entityId: 'm1', asOf: new Date('2026-02-01T10:00:00Z') }];
    const typo = await failure(
      a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwhh', spine }),
    );
    expect(typo).toMatchObject({
      code: 'BAD_REQUEST',
      message: "metric: no readings of 'kwhh' were ever recorded in this project (known metrics: 'kwh')",
    });
    expect(typo.fields?.metric?.[0]).toContain("'kwhh'");
    const range = { start: new Date('2026-02-01T00:00:00Z'), end: new Date('2026-02-01T05:00:00Z') };
    expect(
      (await failure(a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwhh', range }))).code,
    ).toBe('BAD_REQUEST');
    // A new metric is known as soon as its readings are committed, before any refresh.
    await a.ingest.readings.mutate({
      records: [{ entity_id: 'm1', metric: 'gas', ts: '2026-02-01T08:10:00Z', value: 4 }],
    });
    const gas = await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'gas', spine });
    expect(gas.rows).toHaveLength(1);
    await a.aggregates.refresh.mutate();
    const after = await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'gas', spine });
    expect(after.rows[0]?.values.slice(0, 3)).toEqual([null, null, null]); // 08:10 is in lag_2h, not these
    const listed = await failure(
      a.features.offline.query({ featureSet: 'forecast_basic', metric: 'x', spine }),
    );
    expect(listed.message).toContain("(known metrics: 'gas', 'kwh')");
    // Another project's metrics are not listed; a project without readings says so.
    const other = await failure(
      b.features.offline.query({ featureSet: 'forecast_basic', metric: 'gas', spine }),
    );
    expect(other.message).toContain("(known metrics: 'kwh')");
    const none = await failure(
      root.features.offline.query({ featureSet: 'forecast_basic', metric: 'gas', spine }),
    );
    expect(none.message).toBe(
      "metric: no readings of 'gas' were ever recorded in this project (known metrics: none yet: ingest readings first)",
    );
  });

  it('warns when more than 90 % of a range has no readings in its windows, at the limit', async () => {
    // m1's only kwh reading of 2026 is at 02-01 09:30: forecast_basic (window 168 h) has readings
    // in the rows H = 02-01 10:00 ... 02-08 09:00, 168 of them, whatever the range's length.
    const start = new Date('2026-02-01T00:00:00Z');
    const hours = (n: number) => new Date(start.getTime() + n * 3_600_000);
    const at = (n: number, featureSet = 'forecast_basic') =>
      a.features.offline.query({
        featureSet,
        metric: 'kwh',
        range: { entityIds: ['m1'], start, end: hours(n) },
      });
    const ninety = await at(1680); // 1512 of 1680 empty: exactly 90 %, not more
    expect(ninety.rows).toHaveLength(1680);
    expect(ninety.warnings).toEqual([]);
    const over = await at(1681);
    expect(over.rows).toHaveLength(1681);
    expect(over.warnings).toEqual(['1,513 of 1,681 rows have no readings: is the range right?']);
    // The rows themselves are served as usual: the one hour after the reading has lag_1h = 10.
    expect(over.rows.filter((r) => r.values[0] !== null).map((r) => r.asOf.toISOString())).toEqual([
      '2026-02-01T10:00:00.000Z',
    ]);
    // A set that reads no readings (calendar only) has nothing to warn about; spines never warn.
    await a.features.defineSet.mutate({ name: 'calendar_only', features: ['hour_of_day'] });
    expect((await at(1681, 'calendar_only')).warnings).toEqual([]);
    const spine = [{ entityId: 'm1', asOf: hours(5000) }];
    expect(
      (await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', spine })).warnings,
    ).toEqual([]);
  });

  it('applies retention: old readings go, and the aggregates follow what remains', async () => {
    const old = new Date(Date.now() - 500 * day);
    old.setUTCMinutes(15, 0, 0);
    const recent = new Date(Date.now() - 2 * day);
    recent.setUTCMinutes(15, 0, 0);
    await a.ingest.readings.mutate({
      records: [
        { entity_id: 'm1', metric: 'temp', ts: old.toISOString(), value: 1 },
        { entity_id: 'm1', metric: 'temp', ts: recent.toISOString(), value: 2 },
      ],
    });
    await a.aggregates.refresh.mutate();
    const after = (t: Date) => new Date(t.getTime() + 3_600_000);
    const spine = [
      { entityId: 'm1', asOf: after(old) },
      { entityId: 'm1', asOf: after(recent) },
    ];
    const before = await a.features.offline.query({ featureSet: 'forecast_basic', metric: 'temp', spine });
    expect(before.rows.map((r) => r.values[0])).toEqual([1, 2]);

    expect((await failure(a.maintenance.retention.mutate())).code).toBe('FORBIDDEN');
    const result = await root.maintenance.retention.mutate();
    expect(result.readingsDeleted).toBeGreaterThanOrEqual(1);
    expect(result.refresh.hourlyBuckets).toBeGreaterThanOrEqual(1);
    const afterRetention = await a.features.offline.query({
      featureSet: 'forecast_basic',
      metric: 'temp',
      spine,
    });
    expect(afterRetention.rows.map((r) => r.values[0])).toEqual([null, 2]);
  });
});
