import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';

interface Summary {
  accepted: number;
  rejected: number;
  problems: { line: number; reason: string }[];
  committed: boolean;
}

async function upload(server: TestServer, key: string, kind: string, body: string, query = 'format=csv') {
  const res = await fetch(`${server.url}/v1/ingest/${kind}?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
    body,
  });
  return {
    status: res.status,
    body: (await res.json()) as Summary & { error?: { code: string; message: string } },
  };
}

const T = (iso: string) => new Date(iso);

describe('ingest (real PostgreSQL, through the HTTP streaming endpoint and tRPC)', () => {
  let server: TestServer;
  let writerKey: string;
  let readerKey: string;
  let api: AihubClient;

  beforeAll(async () => {
    // No workers: refreshes happen only when a test asks, so pending buckets can be counted exactly.
    server = await startTestServer({ AIHUB_WORKERS: 'false' });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const project = await root.projects.create.mutate({ name: 'grid' });
    const admin = createAihubClient({ url: server.url, apiKey: project.adminKey.token });
    writerKey = (await admin.keys.create.mutate({ name: 'loader', role: 'writer' })).token;
    readerKey = (await admin.keys.create.mutate({ name: 'viewer', role: 'reader' })).token;
    api = createAihubClient({ url: server.url, apiKey: writerKey });
    const entities = await upload(
      server,
      writerKey,
      'entities',
      'entity_id,location_id,timezone\nm1,berlin,Europe/Berlin\nm2,,\n',
    );
    expect(entities.body).toMatchObject({ accepted: 2, rejected: 0, committed: true });
  });
  afterAll(async () => server?.stop());

  const offline = (asOf: string, features = ['lag_1h', 'last_hour_count']) =>
    api.features.offline
      .query({
        featureSet: 'probe',
        metric: 'kwh',
        spine: [{ entityId: 'm1', asOf: T(asOf) }],
      })
      .catch(async (error: unknown) => {
        // Define the probe set on first use.
        if (error instanceof TRPCClientError && (error.data as { code: string }).code === 'NOT_FOUND') {
          await api.features.defineSet.mutate({ name: 'probe', features });
          return api.features.offline.query({
            featureSet: 'probe',
            metric: 'kwh',
            spine: [{ entityId: 'm1', asOf: T(asOf) }],
          });
        }
        throw error;
      });

  it('keeps the valid lines of a file with one bad line and reports that line with its reason', async () => {
    const csv = [
      'entity_id,metric,ts,value',
      'm1,kwh,2026-03-01T09:10:00Z,3',
      'm1,kwh,2026-03-01T09:50:00Z,oops',
      'm1,kwh,2026-03-01T09:55:00Z,5',
    ].join('\n');
    const { status, body } = await upload(server, writerKey, 'readings', csv);
    expect(status).toBe(200);
    expect(body).toEqual({
      accepted: 2,
      rejected: 1,
      problems: [{ line: 3, reason: "value: 'oops' is not a number" }],
      committed: true,
    });
    await api.aggregates.refresh.mutate();
    const result = await offline('2026-03-01T10:30:00Z');
    // Bucket [09:00, 10:00) holds 3 and 5: mean 4, count 2.
    expect(result.rows[0]?.values).toEqual([4, 2]);
  });

  it('reports every kind of bad row with its line number', async () => {
    const csv = [
      'entity_id,metric,ts,value',
      'm1,kwh,not-a-time,1', // 2
      'm1,kwh,2026-03-01T08:00:00Z,NaN', // 3
      'm1,kwh,2026-03-01T08:00:00Z,Infinity', // 4
      'ghost,kwh,2026-03-01T08:00:00Z,1', // 5
      'm1,kwh,2026-03-01T08:00:00Z', // 6
      'm1,,2026-03-01T08:00:00Z,1', // 7
    ].join('\n');
    const { body } = await upload(server, writerKey, 'readings', csv);
    expect(body.accepted).toBe(0);
    expect(body.rejected).toBe(6);
    expect(body.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(body.problems[0]?.reason).toContain("ts: 'not-a-time' is not an ISO 8601 timestamp");
    expect(body.problems[1]?.reason).toBe("value: 'NaN' is not a number");
    expect(body.problems[3]?.reason).toBe("entity_id: unknown entity 'ghost'");
    expect(body.problems[4]?.reason).toBe('expected 4 fields, got 3');
    expect(body.problems[5]?.reason).toBe('metric: missing');
  });

  it('with strict, refuses the whole file and changes nothing', async () => {
    const csv =
      'entity_id,metric,ts,value\nm1,kwh,2026-03-01T09:20:00Z,1000\nm1,kwh,2026-03-01T09:30:00Z,x\n';
    const { body } = await upload(server, writerKey, 'readings', csv, 'format=csv&strict=true');
    expect(body).toMatchObject({ accepted: 0, rejected: 1, committed: false });
    await api.aggregates.refresh.mutate();
    expect((await offline('2026-03-01T10:30:00Z')).rows[0]?.values).toEqual([4, 2]);
  });

  it('fails fast on a wrong header, naming the expected columns', async () => {
    const { status, body } = await upload(
      server,
      writerKey,
      'readings',
      'entity,metric,ts,value\nm1,kwh,2026-03-01T09:20:00Z,1\n',
    );
    expect(status).toBe(400);
    expect(body.error?.message).toBe(
      'line 1: wrong header (missing entity_id; unknown entity): expected columns entity_id, metric, ts, value',
    );
  });

  it('lets the later line win within a file, replaces changed values, and re-ingesting is a no-op', async () => {
    const csv = 'entity_id,metric,ts,value\nm1,kwh,2026-03-02T00:10:00Z,1\nm1,kwh,2026-03-02T00:10:00Z,7\n';
    expect((await upload(server, writerKey, 'readings', csv)).body).toMatchObject({
      accepted: 2,
      committed: true,
    });
    await api.aggregates.refresh.mutate();
    expect((await offline('2026-03-02T01:00:00Z')).rows[0]?.values).toEqual([7, 1]);
    // The same file again: nothing changes, so nothing needs recomputing.
    await upload(server, writerKey, 'readings', csv);
    expect(await api.aggregates.status.query()).toEqual({ pendingBuckets: 0 });
    // A changed value replaces the old one.
    await upload(server, writerKey, 'readings', 'entity_id,metric,ts,value\nm1,kwh,2026-03-02T00:10:00Z,9\n');
    expect(await api.aggregates.status.query()).toEqual({ pendingBuckets: 1 });
    await api.aggregates.refresh.mutate();
    expect((await offline('2026-03-02T01:00:00Z')).rows[0]?.values).toEqual([9, 1]);
  });

  it('accepts NDJSON and rejects wrong JSON types by line', async () => {
    const ndjson = [
      JSON.stringify({ entity_id: 'm2', metric: 'kwh', ts: '2026-03-01T09:10:00Z', value: 2.5 }),
      JSON.stringify({ entity_id: 'm2', metric: 'kwh', ts: '2026-03-01T09:20:00Z', value: '2.5' }),
      '{broken',
      JSON.stringify([1, 2]),
    ].join('\n');
    const { body } = await upload(server, writerKey, 'readings', ndjson, 'format=ndjson');
    expect(body.accepted).toBe(1);
    expect(body.problems).toEqual([
      { line: 2, reason: "value: must be a number, got the string '2.5'" },
      { line: 3, reason: expect.stringContaining('not valid JSON') },
      { line: 4, reason: 'must be a JSON object' },
    ]);
  });

  it('refuses readers, unknown kinds and missing keys with clear statuses', async () => {
    expect((await upload(server, readerKey, 'readings', 'entity_id,metric,ts,value\n')).status).toBe(403);
    expect((await upload(server, writerKey, 'sensors', 'a\n')).status).toBe(404);
    const res = await fetch(`${server.url}/v1/ingest/readings`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(401);
    expect((await upload(server, writerKey, 'readings', 'x', 'format=xml')).body.error?.message).toBe(
      'format: must be csv or ndjson',
    );
  });

  it('takes inline records through tRPC with the same rules', async () => {
    const summary = await api.ingest.weather.mutate({
      records: [
        {
          location_id: 'berlin',
          ts: '2026-03-01T10:00:00Z',
          issued_at: '2026-03-01T08:00:00Z',
          temperature_c: 7,
        },
        { location_id: 'berlin', ts: '2026-03-01T10:30:00Z', temperature_c: 7 },
      ],
    });
    expect(summary).toEqual({
      accepted: 1,
      rejected: 1,
      problems: [{ line: 2, reason: "ts: '2026-03-01T10:30:00Z' is not the start of an hour" }],
      committed: true,
    });
  });
});

describe('automatic refresh', () => {
  let server: TestServer;
  afterAll(async () => server?.stop());

  it('refreshes aggregates by itself after an ingest (a pg-boss job)', async () => {
    server = await startTestServer();
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    const { adminKey } = await root.projects.create.mutate({ name: 'auto' });
    const api = createAihubClient({ url: server.url, apiKey: adminKey.token });
    await upload(server, adminKey.token, 'entities', 'entity_id\nm1\n');
    await api.features.defineSet.mutate({ name: 'probe', features: ['lag_1h', 'last_hour_count'] });
    await upload(
      server,
      adminKey.token,
      'readings',
      'entity_id,metric,ts,value\nm1,kwh,2026-03-05T11:15:00Z,42\n',
    );
    const deadline = Date.now() + 15_000;
    while ((await api.aggregates.status.query()).pendingBuckets > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await api.aggregates.status.query()).pendingBuckets).toBe(0);
    const result = await api.features.offline.query({
      featureSet: 'probe',
      metric: 'kwh',
      spine: [{ entityId: 'm1', asOf: T('2026-03-05T12:00:00Z') }],
    });
    expect(result.rows[0]?.values).toEqual([42, 1]);
  });
});
