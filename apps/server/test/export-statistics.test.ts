import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { expectStatisticsMatchFile, openDuckFile } from './support/duckdb-file.js';
import { currentHour, HOUR, seedHistory, waitFor } from './support/feature-data.js';
import { putArtifact } from './models-support.js';

/*
 * Exports that describe themselves: the file read back by DuckDB has a zoned as_of and key-value
 * metadata naming the export, and the statistics on the record agree with DuckDB's aggregates over
 * the same file. A model trained on the export carries those statistics in its lineage.
 */

describe('export statistics and self-describing files', () => {
  let server: TestServer;
  let a: AihubClient;
  let token: string;
  let endHour: number;

  const finished = (id: string) =>
    waitFor(
      () => a.features.exportGet.query({ id }),
      (e) => ['succeeded', 'failed', 'cancelled'].includes(e.status),
      60_000,
    );

  const download = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

  beforeAll(async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    token = (await root.projects.create.mutate({ name: 'stats-a' })).adminKey.token;
    a = createAihubClient({ url: server.url, apiKey: token });
    endHour = currentHour();
    await seedHistory(a, endHour, 300);
  });
  afterAll(async () => server?.stop());

  it('a range export: zoned as_of, metadata, and statistics that DuckDB recomputes from the file', async () => {
    const start = new Date(endHour - 250 * HOUR);
    const started = await a.features.export.mutate({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      range: { start, end: new Date(endHour) },
      includeLabel: true,
    });
    // m3 has no readings, so only m1 and m2 are in the range's spine.
    const done = await finished(started.id);
    expect(done).toMatchObject({ status: 'succeeded', rowsWritten: 500 });
    const statistics = done.statistics;
    expect(statistics).toMatchObject({ exportId: done.id, rows: 500 });
    expect(statistics?.sketch).toMatch(/^tdigest/);

    const file = await openDuckFile(await download(done.downloadUrl as string));
    try {
      const asOf = (await file.columns()).find((c) => c.name === 'as_of');
      expect(asOf?.type).toBe('TIMESTAMP WITH TIME ZONE');
      const metadata = await file.metadata();
      expect(metadata).toEqual({
        'aihub.export_id': done.id,
        'aihub.feature_set': 'forecast_advanced',
        'aihub.feature_set_version': '1',
        'aihub.metric': 'kwh',
        'aihub.features': JSON.stringify(done.params.features),
        'aihub.spec_version': '2',
        'aihub.params': JSON.stringify(done.params),
        'aihub.created_at': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const createdAt = Date.parse(metadata['aihub.created_at'] as string);
      expect(createdAt).toBeGreaterThanOrEqual((done.startedAt as Date).getTime());
      expect(createdAt).toBeLessThanOrEqual((done.finishedAt as Date).getTime());
      await expectStatisticsMatchFile(file, statistics?.features ?? [], done.params.features);
    } finally {
      await file.close();
    }
    // Not a vacuous check: the set has features with values and features with gaps.
    const byName = Object.fromEntries((statistics?.features ?? []).map((s) => [s.feature, s]));
    expect(byName.lag_1h?.count).toBe(500);
    expect(byName.lag_168h?.nullFraction).toBeGreaterThan(0);
    expect(byName.hour_of_day).toMatchObject({ min: 0, max: 23 });
  });

  it('a model registered with lineage to the export carries its statistics; others have none', async () => {
    const started = await a.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start: new Date(endHour - 48 * HOUR), end: new Date(endHour) },
    });
    const done = await finished(started.id);
    const { version, upload } = await a.models.register.mutate({
      name: 'load-forecast',
      format: 'other',
      lineage: { featureSet: 'forecast_basic', featureSetVersion: 1, targetMetric: 'kwh', exportId: done.id },
    });
    const bytes = (async function* () {
      yield new Uint8Array([1, 2, 3]);
    })();
    const put = await putArtifact(server.url, token, upload.path, bytes);
    expect(put.status).toBe(200);
    const got = await a.models.get.query({ name: 'load-forecast', version: version.version });
    expect(got.lineage.exportId).toBe(done.id);
    expect(got.lineage.statistics).toEqual(done.statistics);
    expect(got.lineage.statistics?.features.map((s) => s.feature)).toEqual(done.params.features);

    const plain = await a.models.register.mutate({ name: 'no-lineage', format: 'onnx' });
    expect((await a.models.get.query({ id: plain.version.id })).lineage.statistics).toBeNull();
  });

  it('an export that did not succeed has no statistics', async () => {
    const started = await a.features.export.mutate({
      featureSet: 'forecast_advanced',
      metric: 'kwh',
      range: {
        entityIds: ['m1', 'm2', 'm3'],
        start: new Date(endHour - 10 * 8760 * HOUR),
        end: new Date(endHour),
      },
    });
    await a.features.cancelExport.mutate({ id: started.id });
    const cancelled = await finished(started.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', statistics: null });
  });
});
