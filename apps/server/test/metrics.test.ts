import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, HOUR, seedHistory, waitFor } from './support/feature-data.js';
import { sample, scrape } from './support/metrics.js';

/*
 * GET /metrics as a Prometheus scraper sees it, and the request log as an operator reads it. The
 * expected figures are counted by hand from the requests this file makes on a fresh server.
 */

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

describe('metrics and request logs', () => {
  let server: TestServer;
  let root: AihubClient;
  let a: AihubClient;
  let writerToken: string;
  const logLines: Record<string, unknown>[] = [];
  let rawLog = '';

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        rawLog += chunk.toString();
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    server = await startTestServer(
      { METRICS_TOKEN, LOG_LEVEL: 'info', AIHUB_WORKERS: 'false' },
      { logDestination: destination },
    );
    root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    writerToken = (await root.projects.create.mutate({ name: 'metered' })).adminKey.token;
    a = createAihubClient({ url: server.url, apiKey: writerToken });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers only the bearer of METRICS_TOKEN', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    await scrape(server.url, METRICS_TOKEN);
  });

  it('counts requests and latencies per procedure and status', async () => {
    for (let i = 0; i < 3; i++) await root.health.live.query();
    await expect(createAihubClient({ url: server.url }).auth.whoami.query()).rejects.toThrow();
    await expect(
      a.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: [] }),
    ).rejects.toThrow();
    // Two calls in one batched request count as two calls.
    const batched = createAihubClient({ url: server.url, apiKey: writerToken, batch: true });
    await Promise.all([batched.auth.whoami.query(), batched.auth.whoami.query()]);
    expect((await fetch(`${server.url}/trpc/no.such.procedure`)).status).toBe(404);
    await fetch(`${server.url}/livez`);

    const text = await scrape(server.url, METRICS_TOKEN);
    const count = (procedure: string, status: string) =>
      sample(text, 'aihub_requests_total', { procedure, status });
    expect(count('health.live', '200')).toBe(3);
    expect(count('auth.whoami', '401')).toBe(1);
    expect(count('features.get', '400')).toBe(1);
    expect(count('auth.whoami', '200')).toBe(2);
    expect(count('trpc:unmatched', '404')).toBe(1);
    expect(count('http:livez', '200')).toBe(1);
    expect(
      sample(text, 'aihub_request_duration_seconds_count', { procedure: 'health.live', status: '200' }),
    ).toBe(3);
    // Every call took more than 0 s and less than the 120 s bucket.
    expect(
      sample(text, 'aihub_request_duration_seconds_bucket', {
        procedure: 'health.live',
        status: '200',
        le: '120',
      }),
    ).toBe(3);
    // Process metrics and the PostgreSQL pool of this process.
    expect(sample(text, 'aihub_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(sample(text, 'aihub_pg_pool_connections', { pool: 'main', state: 'total' })).toBeGreaterThan(0);
    expect(sample(text, 'aihub_pg_pool_connections', { pool: 'main', state: 'waiting' })).toBe(0);
    expect(sample(text, 'aihub_redis_connected')).toBe(1);
    // No vector was asked for yet; every outcome is exported anyway, at 0.
    for (const outcome of ['hit', 'miss', 'fallback'])
      expect(sample(text, 'aihub_online_vectors_total', { outcome })).toBe(0);
  });

  it('reports the refresh backlog, materialization lag and export queue from the database', async () => {
    // Workers are off in this server: the backlog stays until refreshed on demand. Readings in
    // three consecutive hours of one entity invalidate exactly three hourly buckets.
    await a.ingest.entities.mutate({ records: [{ entity_id: 'solo' }] });
    const base = currentHour() - 10 * HOUR;
    await a.ingest.readings.mutate({
      records: [0, 1, 2].map((h) => ({
        entity_id: 'solo',
        metric: 'load',
        ts: new Date(base + h * HOUR + 60_000).toISOString(),
        value: h,
      })),
    });
    expect(sample(await scrape(server.url, METRICS_TOKEN), 'aihub_refresh_backlog_buckets')).toBe(3);
    await a.aggregates.refresh.mutate();
    expect(sample(await scrape(server.url, METRICS_TOKEN), 'aihub_refresh_backlog_buckets')).toBe(0);

    await seedHistory(a, currentHour(), 30);
    await a.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
    const text = await scrape(server.url, METRICS_TOKEN);
    const labels = { project: 'metered', feature_set: 'forecast_basic', version: '1', metric: 'kwh' };
    // The served hour is the current one: its age is the time since the hour began.
    const lag = sample(text, 'aihub_materialization_lag_seconds', labels);
    const sinceHour = (Date.now() - currentHour()) / 1000;
    expect(lag).toBeGreaterThan(sinceHour - 10);
    expect(lag).toBeLessThanOrEqual(sinceHour);
    expect(sample(text, 'aihub_materialization_failing', labels)).toBe(0);

    // An export queued with no worker to run it is the queue's depth.
    await a.features.export.mutate({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      range: { start: new Date(currentHour() - 2 * HOUR), end: new Date(currentHour()) },
    });
    const queued = await scrape(server.url, METRICS_TOKEN);
    expect(sample(queued, 'aihub_exports', { status: 'queued' })).toBe(1);
    expect(sample(queued, 'aihub_exports', { status: 'running' })).toBe(0);
  });

  it('logs one line per request: ISO time, level name, method, procedure, status, duration, request id, key name', async () => {
    const requestId = 'log-check-0123456789';
    const res = await fetch(`${server.url}/trpc/auth.whoami`, {
      headers: { authorization: `Bearer ${writerToken}`, 'x-request-id': requestId },
    });
    expect(res.status).toBe(200);
    const lines = await waitFor(
      async () => logLines.filter((line) => line.requestId === requestId && line.msg === 'request'),
      (found) => found.length > 0,
      5_000,
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      procedure: 'auth.whoami',
      status: 200,
      key: 'initial-admin',
    });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(typeof line.durationMs).toBe('number');
    // No secret ever reaches the log: not the project key, not the bootstrap key, not the metrics token.
    expect(rawLog).not.toContain(writerToken);
    expect(rawLog).not.toContain(server.adminKey);
    expect(rawLog).not.toContain(METRICS_TOKEN);
    // The refused requests of this file (two /metrics without the token, whoami without a key) have their lines, with no key.
    const unauthorized = logLines.filter((l) => l.msg === 'request' && l.status === 401);
    expect(unauthorized.length).toBeGreaterThanOrEqual(3);
    expect(unauthorized.every((l) => l.key === undefined)).toBe(true);
  });
});
