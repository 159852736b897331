import { createS3Client } from '@aihub/storage';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, failure, HOUR, seedHistory, waitFor } from './support/feature-data.js';
import { readExport } from './support/parquet-readback.js';

type Export = Awaited<ReturnType<AihubClient['features']['exportGet']['query']>>;

describe('training-set exports to Parquet in object storage', () => {
  let server: TestServer;
  let a: AihubClient;
  let aReader: AihubClient;
  let b: AihubClient;
  let endHour: number;
  let listKeys: (prefix: string) => Promise<string[]>;

  const finished = (id: string, client: AihubClient = a) =>
    waitFor(
      () => client.features.exportGet.query({ id }),
      (e) => ['succeeded', 'failed', 'cancelled'].includes(e.status),
      60_000,
    );

  beforeAll(async () => {
    server = await startTestServer({ EXPORT_HEARTBEAT_TIMEOUT_SECONDS: '2' });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    a = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'exports-a' })).adminKey.token,
    });
    aReader = createAihubClient({
      url: server.url,
      apiKey: (await a.keys.create.mutate({ name: 'trainer', role: 'reader' })).token,
    });
    b = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'exports-b' })).adminKey.token,
    });
    endHour = currentHour();
    await seedHistory(a, endHour, 200);
    const s3 = createS3Client({
      endpoint: server.env.S3_ENDPOINT,
      region: server.env.S3_REGION,
      accessKey: server.env.S3_ACCESS_KEY,
      secretKey: server.env.S3_SECRET_KEY,
    });
    listKeys = async (prefix) => {
      const keys: string[] = [];
      for await (const item of s3.listObjectsV2(server.env.S3_BUCKET_EXPORTS, prefix, true)) {
        if (item.name) keys.push(item.name);
      }
      return keys;
    };
  });
  afterAll(async () => server?.stop());

  /** Every value of the file equals the offline retrieval of the same spine (DuckDB reads it). */
  async function expectMatchesOffline(e: Export, spine: { entityId: string; asOf: Date }[], label: boolean) {
    expect(e.downloadUrl).toBeTruthy();
    // A range export's row order is unspecified; a spine export keeps the spine's order.
    const ordered = e.params.source.kind === 'range';
    const file = await readExport(e.downloadUrl as string, ordered ? 'entity_id, as_of' : undefined);
    expect(file.sha256).toBe(e.sha256);
    expect(file.bytes).toBe(e.bytes);
    const features = e.params.features;
    expect(file.columns).toEqual([
      { name: 'entity_id', type: 'VARCHAR' },
      { name: 'as_of', type: 'TIMESTAMP WITH TIME ZONE' },
      ...features.map((name) => ({ name, type: 'DOUBLE' })),
      ...(label ? [{ name: 'label_next_1h', type: 'DOUBLE' }] : []),
    ]);
    expect(file.rows).toHaveLength(spine.length);
    // Small slices: a query travels in the URL, which the server caps at 16 KB of headers.
    for (let i = 0; i < spine.length; i += 40) {
      const offline = await a.features.offline.query({
        featureSet: e.featureSet,
        version: e.featureSetVersion,
        metric: e.metric,
        spine: spine.slice(i, i + 40),
        includeLabel: label,
      });
      offline.rows.forEach((row, j) => {
        const got = file.rows[i + j] as Record<string, number | string | null>;
        expect(got.entity_id).toBe(row.entityId);
        expect(got.as_of).toBe(row.asOf.getTime());
        features.forEach((name, f) => {
          expect(got[name], `${row.entityId} ${name}`).toBe(row.values[f]);
        });
        if (label) expect(got.label_next_1h).toBe(row.label);
      });
    }
  }

  it('exports a range with labels; DuckDB reads back exactly the offline vectors', async () => {
    const start = new Date(endHour - 72 * HOUR + 20 * 60_000); // whole hours from -71h
    const end = new Date(endHour);
    const started = await a.features.export.mutate({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      range: { start, end },
      includeLabel: true,
    });
    expect(started).toMatchObject({ status: 'queued', totalRows: 2 * 71, featureSetVersion: 1 });
    const done = await finished(started.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      rowsWritten: 142,
      totalRows: 142,
      error: null,
      warnings: [],
    });
    expect(done.objectKey).toMatch(new RegExp(`/exports/${started.id}/forecast_advanced-v1\\.parquet$`));
    expect(done.params).toMatchObject({ includeLabel: true, source: { kind: 'range', entityIds: null } });
    const spine = ['m1', 'm2'].flatMap((entityId) =>
      Array.from({ length: 71 }, (_, h) => ({ entityId, asOf: new Date(endHour - (71 - h) * HOUR) })),
    );
    await expectMatchesOffline(done, spine, true);
    expect(await listKeys(`${done.projectId}/exports/${done.id}/`)).toEqual([done.objectKey]);
  });

  it('exports an inline spine in its own order, without labels', async () => {
    const spine = [
      { entityId: 'm2', asOf: new Date(endHour - 5 * HOUR + 123) },
      { entityId: 'm1', asOf: new Date(endHour - 100 * HOUR) },
      { entityId: 'm3', asOf: new Date(endHour - 2 * HOUR) },
      { entityId: 'm1', asOf: new Date(endHour - 100 * HOUR) },
    ];
    const started = await a.features.export.mutate({ featureSet: 'anomaly_detection', metric: 'kwh', spine });
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: 4, totalRows: 4 });
    await expectMatchesOffline(done, spine, false);
  });

  it('exports weather cut at H and the weather lag family, by hand and equal to offline', async () => {
    await a.features.defineSet.mutate({
      name: 'wx_export',
      features: ['weather_temperature_c', 'weather_temperature_c_lag_1h', 'weather_humidity_pct_lag_24h'],
    });
    // A forecast of hour endHour - 5h issued 30 minutes into that hour: too late for that hour.
    const H = endHour - 5 * HOUR;
    await a.ingest.weather.mutate({
      records: [
        {
          location_id: 'loc-1',
          ts: new Date(H).toISOString(),
          issued_at: new Date(H + 30 * 60_000).toISOString(),
          temperature_c: -40,
        },
      ],
    });
    const spine = [
      { entityId: 'm1', asOf: new Date(H + 45 * 60_000) },
      { entityId: 'm1', asOf: new Date(H + HOUR) },
      { entityId: 'm2', asOf: new Date(H + 45 * 60_000) },
    ];
    const started = await a.features.export.mutate({ featureSet: 'wx_export', metric: 'kwh', spine });
    const done = await finished(started.id);
    expect(done.status).toBe('succeeded');
    await expectMatchesOffline(done, spine, false);
    const file = await readExport(done.downloadUrl as string);
    // Seeded forecasts (issued 6 h ahead): temperature 5 + (h % 7) and humidity 60 for hour endHour - h h.
    expect(
      file.rows.map((r) => [
        r.weather_temperature_c,
        r.weather_temperature_c_lag_1h,
        r.weather_humidity_pct_lag_24h,
      ]),
    ).toEqual([
      [5 + 5, 5 + 6, 60], // H: the seeded forecast, not the -40 issued inside the hour
      [5 + 4, -40, 60], // H + 1h: hour H as known at H + 1h is the -40 issue
      [null, null, null], // m2 has no location
    ]);
  });

  it('writes a valid empty file when there are no rows', async () => {
    // No whole hour in [start, end): zero rows.
    const started = await a.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start: new Date(endHour - 10 * HOUR + 60_000), end: new Date(endHour - 9 * HOUR) },
    });
    expect(started.totalRows).toBe(0);
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    const file = await readExport(done.downloadUrl as string);
    expect(file.rows).toEqual([]);
    expect(file.columns.map((c) => c.name)).toEqual([
      'entity_id',
      'as_of',
      'lag_1h',
      'lag_24h',
      'lag_168h',
      'hour_of_day',
      'day_of_week',
      'is_weekend',
    ]);
  });

  it('records and keeps a warning when more than 90 % of the rows have no readings', async () => {
    // Readings exist for the 200 hours before endHour. forecast_basic looks 168 h back, so of the
    // whole hours of [endHour - 2000h, endHour) only endHour - 199h ... endHour - 1h have readings
    // in their windows: 199 of 2000 per entity (m1, m2), 3,602 of 4,000 rows without.
    const started = await a.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start: new Date(endHour - 2000 * HOUR), end: new Date(endHour) },
    });
    const warning = '3,602 of 4,000 rows have no readings: is the range right?';
    expect(started).toMatchObject({ totalRows: 4000, warnings: [warning] });
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: 4000, warnings: [warning] });
    const listed = await a.features.exports.query({ limit: 5 });
    expect(listed.items.find((e) => e.id === started.id)?.warnings).toEqual([warning]);
  });

  // Big enough to still be running when the test acts on it (a few seconds here).
  const bigExport = () =>
    a.features.export.mutate({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      range: {
        entityIds: ['m1', 'm2', 'm3'],
        start: new Date(endHour - 10 * 8760 * HOUR),
        end: new Date(endHour),
      },
    });
  const running = (id: string) =>
    waitFor(
      () => a.features.exportGet.query({ id }),
      (e) => e.status !== 'queued' && (e.status !== 'running' || e.rowsWritten > 0),
      30_000,
    );

  it('cancels a running export: the record says cancelled and no object remains', async () => {
    const started = await bigExport();
    expect((await running(started.id)).status).toBe('running');
    const cancelled = await a.features.cancelExport.mutate({ id: started.id });
    expect(cancelled.status).toBe('cancelled');
    await waitFor(
      () => listKeys(`${cancelled.projectId}/exports/${started.id}/`),
      (keys) => keys.length === 0,
      15_000,
    );
    const after = await a.features.exportGet.query({ id: started.id });
    expect(after).toMatchObject({ status: 'cancelled', downloadUrl: null, objectKey: null });
    expect((await failure(a.features.cancelExport.mutate({ id: started.id }))).code).toBe('CONFLICT');
  }, 90_000);

  it('a failure mid-export (database connection lost) leaves no object and says failed', async () => {
    const started = await bigExport();
    expect((await running(started.id)).status).toBe('running');
    const admin = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await admin.connect();
    try {
      // Cuts the connections reading the export's rows (two, reading slices side by side), as a
      // database failover would.
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'aihub-server'
            AND query LIKE '%unnest($4::timestamptz[]) AS g(as_of)%'`,
      );
      expect(cut.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    const done = await finished(started.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBeTruthy();
    expect(await listKeys(`${done.projectId}/exports/${started.id}/`)).toEqual([]);
  }, 120_000); // waits up to 30 s for it to run and 60 s for it to fail, on a loaded machine

  it('lists with filters and cursor pages; other projects see nothing; readers cannot export', async () => {
    const all = await a.features.exports.query({});
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    const page1 = await a.features.exports.query({ limit: 2 });
    const page2 = await a.features.exports.query({ limit: 2, cursor: page1.nextCursor as string });
    expect(page1.items).toHaveLength(2);
    expect(page2.items[0]?.id).toBe(all.items[2]?.id);
    expect([...page1.items, ...page2.items].map((e) => e.id)).toEqual(all.items.slice(0, 4).map((e) => e.id));
    const succeeded = await a.features.exports.query({
      status: 'succeeded',
      featureSet: 'forecast_advanced',
    });
    expect(
      succeeded.items.every((e) => e.status === 'succeeded' && e.featureSet === 'forecast_advanced'),
    ).toBe(true);
    expect(succeeded.items).toHaveLength(1);
    const none = await a.features.exports.query({ createdTo: new Date(Date.now() - 24 * HOUR) });
    expect(none).toEqual({ items: [], nextCursor: null });

    const id = all.items[0]?.id as string;
    expect((await failure(b.features.exportGet.query({ id }))).code).toBe('NOT_FOUND');
    expect((await failure(b.features.cancelExport.mutate({ id }))).code).toBe('NOT_FOUND');
    expect((await b.features.exports.query({})).items).toEqual([]);
    expect((await aReader.features.exportGet.query({ id })).id).toBe(id);
    expect(
      (
        await failure(
          aReader.features.export.mutate({
            featureSet: 'forecast_basic',
            metric: 'kwh',
            spine: [{ entityId: 'm1', asOf: new Date() }],
          }),
        )
      ).code,
    ).toBe('FORBIDDEN');
  });

  it('rejects bad input, naming the field', async () => {
    const base = { featureSet: 'forecast_basic', metric: 'kwh' };
    const both = await failure(
      a.features.export.mutate({
        ...base,
        spine: [{ entityId: 'm1', asOf: new Date() }],
        range: { start: new Date(0), end: new Date(HOUR) },
      }),
    );
    expect(both.fields).toHaveProperty('range');
    expect((await failure(a.features.export.mutate(base))).fields).toHaveProperty('range');
    const backwards = await failure(
      a.features.export.mutate({ ...base, range: { start: new Date(HOUR), end: new Date(0) } }),
    );
    expect(backwards.fields).toHaveProperty('range.end');
    const ghost = await failure(
      a.features.export.mutate({
        ...base,
        range: { entityIds: ['ghost'], start: new Date(0), end: new Date(HOUR) },
      }),
    );
    expect(ghost.fields).toHaveProperty(['range.entityIds']);
    const typo = await failure(
      a.features.export.mutate({
        ...base,
        metric: 'kwhh',
        range: { start: new Date(0), end: new Date(HOUR) },
      }),
    );
    expect(typo).toMatchObject({
      code: 'BAD_REQUEST',
      message: "metric: no readings of 'kwhh' were ever recorded in this project (known metrics: 'kwh')",
    });
    expect((await failure(a.features.exports.query({ status: 'done' as 'failed' }))).fields).toHaveProperty(
      'status',
    );
    expect((await failure(a.features.exports.query({ cursor: 'nope' }))).fields).toHaveProperty('cursor');
    expect((await failure(a.features.exportGet.query({ id: 'not-a-uuid' }))).code).toBe('NOT_FOUND');
    expect(
      (
        await failure(
          a.features.export.mutate({
            ...base,
            featureSet: 'ghost_set',
            range: { start: new Date(0), end: new Date(HOUR) },
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });
});
