import { PREDEFINED_FEATURE_SETS, resolveFeatureSet } from '@aihub/core';
import { PgFeatureStore, PgServedFeatureHistory } from '@aihub/db';
import { createTestPool } from '@aihub/db/testing';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AihubClient, createAihubClient } from '../src/client.js';
import { materializeFeatureSet } from '../src/online/materialize.js';
import { RedisOnlineStore } from '../src/online/redis-online-store.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { currentHour, failure, HOUR, seedHistory, waitFor } from './support/feature-data.js';

/*
 * The served-feature history (ai_features): every materialization run records what it wrote to
 * Redis, and features.history gives it back. The first hour's run is made in this process with a
 * clock one hour back (the server's own runs use the real clock), against the server's database
 * and Redis; what features.get served is read through the API.
 */

const DAY = 24 * HOUR;
const SET = 'anomaly_detection';

describe('served-feature history: ai_features, features.history, retention by partition', () => {
  let server: TestServer;
  let root: AihubClient;
  let a: AihubClient;
  let projectId: string;
  let pool: pg.Pool;
  let redis: Redis;

  beforeAll(async () => {
    server = await startTestServer();
    root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    a = createAihubClient({
      url: server.url,
      apiKey: (await root.projects.create.mutate({ name: 'history-a' })).adminKey.token,
    });
    projectId = (await a.auth.whoami.query()).project.id;
    await seedHistory(a, currentHour(), 200);
    pool = createTestPool({ connectionString: server.env.DATABASE_URL, max: 2 });
    redis = new Redis(server.env.REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await pool?.end();
    await server?.stop();
  });

  const get = () => a.features.get.query({ featureSet: SET, metric: 'kwh', entityIds: ['m1', 'm2'] });
  const history = (entityId: string, start: Date, end: Date) =>
    a.features.history.query({ featureSet: SET, metric: 'kwh', entityId, start, end });

  it('records both hours of a materialization over two hours, equal to what features.get served', async () => {
    const set = await resolveFeatureSet(SET, 1, async () => null);
    const key = { projectId, featureSet: SET, version: 1, metric: 'kwh' };
    const previousHour = new Date(currentHour() - HOUR);
    // The run of the previous hour (half past it), as the scheduled job made it then.
    const deps = {
      featureStore: new PgFeatureStore(pool),
      online: new RedisOnlineStore(redis),
      history: new PgServedFeatureHistory(pool),
      ttlSeconds: 600,
    };
    const first = await materializeFeatureSet(deps, key, set, new Date(previousHour.getTime() + 30 * 60_000));
    expect(first).toEqual({ asOf: previousHour, entities: 2 });
    const servedFirst = await get();
    // The latest online vector is served, marked stale when its hour has passed.
    expect(servedFirst.vectors.map((v) => [v.source, v.asOf])).toEqual([
      ['online', previousHour],
      ['online', previousHour],
    ]);

    // This hour's run through the API (the real clock).
    const second = await a.features.materialize.mutate({ featureSet: SET, metric: 'kwh' });
    const servedSecond = await get();
    expect(servedSecond.vectors.map((v) => [v.source, v.asOf])).toEqual([
      ['online', second.asOf],
      ['online', second.asOf],
    ]);
    expect(second.asOf?.getTime()).toBeGreaterThan(previousHour.getTime());

    const end = new Date((second.asOf as Date).getTime() + HOUR);
    for (const [i, entityId] of ['m1', 'm2'].entries()) {
      const recorded = await history(entityId, previousHour, end);
      expect(recorded.columns).toEqual(PREDEFINED_FEATURE_SETS[SET]);
      expect(recorded.featureSet).toEqual({ name: SET, version: 1 });
      expect(recorded.vectors.map((v) => [v.asOf, v.values])).toEqual([
        [previousHour, servedFirst.vectors[i]?.values],
        [second.asOf, servedSecond.vectors[i]?.values],
      ]);
      // Not vacuous: real numbers, and the two hours differ.
      expect(recorded.vectors[0]?.values.filter((v) => v !== null).length).toBeGreaterThan(5);
      expect(recorded.vectors[0]?.values).not.toEqual(recorded.vectors[1]?.values);
      expect(recorded.vectors[0]?.materializedAt).toEqual(new Date(previousHour.getTime() + 30 * 60_000));
    }
    // [start, end) is half-open: an end at the second hour leaves it out.
    expect((await history('m1', previousHour, second.asOf as Date)).vectors).toHaveLength(1);
  });

  it('is idempotent per entity and hour; a rewritten hour keeps the vector served last', async () => {
    const hour = new Date(currentHour());
    const window = [new Date(hour.getTime() - 2 * HOUR), new Date(hour.getTime() + HOUR)] as const;
    const rowCount = async () =>
      Number(
        (await pool.query('SELECT count(*) AS n FROM ai_features WHERE project_id = $1', [projectId])).rows[0]
          ?.n,
      );
    const before = await history('m2', ...window);
    const countBefore = await rowCount();
    await a.features.materialize.mutate({ featureSet: SET, metric: 'kwh' });
    const again = await history('m2', ...window);
    if (again.vectors.at(-1)?.asOf.getTime() !== before.vectors.at(-1)?.asOf.getTime()) return; // hour rolled over
    expect(await rowCount()).toBe(countBefore);
    // Same values: the row (and its materialized_at) is left as it was.
    expect(again.vectors).toEqual(before.vectors);

    // A late reading in the last complete hour changes the vector; the refresh after ingest makes
    // the scheduled job rewrite it online, and the history follows.
    await a.ingest.readings.mutate({
      records: [
        {
          entity_id: 'm2',
          metric: 'kwh',
          ts: new Date(hour.getTime() - HOUR + 55 * 60_000).toISOString(),
          value: 500,
        },
      ],
    });
    const served = await waitFor(
      () => a.features.get.query({ featureSet: SET, metric: 'kwh', entityIds: ['m2'] }),
      (r) => r.vectors[0]?.source === 'online' && r.vectors[0]?.values[2] === 500, // last_hour_max
      30_000,
    );
    const after = await waitFor(
      () => history('m2', ...window),
      (r) => r.vectors.at(-1)?.values[2] === 500,
      10_000,
    );
    expect(after.vectors.at(-1)?.values).toEqual(served.vectors[0]?.values);
    expect(after.vectors.at(-1)?.materializedAt.getTime()).toBeGreaterThan(
      before.vectors.at(-1)?.materializedAt.getTime() as number,
    );
    expect(await rowCount()).toBe(countBefore);
  });

  it('rejects bad history requests naming the field; 10,000 hours is the limit', async () => {
    const base = { featureSet: SET, metric: 'kwh', entityId: 'm1' };
    // Exactly 10,000 hours, ending after the vectors served above: all of them come back.
    const end = new Date(currentHour() + HOUR);
    const start = new Date(end.getTime() - 10_000 * HOUR);
    const atLimit = await a.features.history.query({ ...base, start, end });
    const recent = await history('m1', new Date(end.getTime() - 4 * HOUR), end);
    expect(recent.vectors.length).toBeGreaterThanOrEqual(2);
    expect(atLimit.vectors).toEqual(recent.vectors);
    const over = await failure(
      a.features.history.query({ ...base, start, end: new Date(start.getTime() + 10_001 * HOUR) }),
    );
    expect(over).toMatchObject({ code: 'BAD_REQUEST' });
    expect(over.fields).toHaveProperty('end');
    const reversed = await failure(a.features.history.query({ ...base, start, end: start }));
    expect(reversed.fields).toHaveProperty('end');
    const ghost = await failure(
      a.features.history.query({ ...base, entityId: 'ghost', start, end: new Date(start.getTime() + HOUR) }),
    );
    expect(ghost).toMatchObject({ code: 'BAD_REQUEST', message: "entityId: unknown entity 'ghost'" });
    const unknownSet = await failure(
      a.features.history.query({ ...base, featureSet: 'nope', start, end: new Date(start.getTime() + HOUR) }),
    );
    expect(unknownSet.code).toBe('NOT_FOUND');
  });

  it('retention drops the day partitions older than RETENTION_FEATURES_DAYS (90) and nothing newer', async () => {
    const now = Date.now();
    const cutoff = now - 90 * DAY;
    const cutoffDay = Math.floor(cutoff / DAY) * DAY;
    const days = {
      old: cutoffDay - 10 * DAY, // wholly older
      lastOld: cutoffDay - DAY, // ends exactly at the cutoff's day: wholly older
      straddling: cutoffDay, // holds the cutoff: some of its hours are newer, so it stays
      newer: cutoffDay + DAY,
    };
    const name = (day: number) =>
      `ai_features_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
    for (const day of Object.values(days)) {
      await pool.query('SELECT aihub_ensure_ai_features_partitions($1, $2)', [
        new Date(day),
        new Date(day + DAY),
      ]);
      // The last hour of each day, so the straddling day's row is newer than the cutoff.
      await pool.query(
        `INSERT INTO ai_features VALUES ($1, 'forecast_basic', 1, 'kwh', 'm1', $2, '{1,2,NULL}', now())`,
        [projectId, new Date(day + 23 * HOUR)],
      );
    }
    const result = await root.maintenance.retention.mutate();
    expect(result.featurePartitionsDropped).toEqual([name(days.old), name(days.lastOld)]);
    const left = await pool.query<{ as_of: Date }>(
      `SELECT as_of FROM ai_features WHERE project_id = $1 AND feature_set = 'forecast_basic' ORDER BY as_of`,
      [projectId],
    );
    expect(left.rows.map((r) => r.as_of.getTime())).toEqual([
      days.straddling + 23 * HOUR,
      days.newer + 23 * HOUR,
    ]);
    const tables = await pool.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY($1::text[])`,
      [[name(days.old), name(days.lastOld)]],
    );
    expect(tables.rows).toEqual([]);
    // The served vectors of the first test are recent: kept.
    expect(
      (await history('m1', new Date(now - 3 * HOUR), new Date(now + HOUR))).vectors.length,
    ).toBeGreaterThanOrEqual(2);
    // Partitions for today and tomorrow exist ahead of the writes.
    const today = Math.floor(now / DAY) * DAY;
    const ahead = await pool.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY($1::text[]) ORDER BY relname`,
      [[name(today), name(today + DAY)]],
    );
    expect(ahead.rows.map((r) => r.relname)).toEqual([name(today), name(today + DAY)]);
  });

  it('fails the run when the history cannot be written, and the next run writes both', async () => {
    const set = await resolveFeatureSet('forecast_basic', 1, async () => null);
    const key = { projectId, featureSet: 'forecast_basic', version: 1, metric: 'kwh' };
    const deps = {
      featureStore: new PgFeatureStore(pool),
      online: new RedisOnlineStore(redis),
      history: new PgServedFeatureHistory(pool),
      ttlSeconds: 600,
    };
    const hour = new Date(currentHour());
    const recorded = () => history('m1', hour, new Date(hour.getTime() + HOUR));
    const historyOf = (entityId: string) =>
      a.features.history.query({
        featureSet: 'forecast_basic',
        metric: 'kwh',
        entityId,
        start: hour,
        end: new Date(hour.getTime() + HOUR),
      });
    expect((await historyOf('m1')).vectors).toEqual([]);
    // PostgreSQL refuses the history write (here: the partition function is missing).
    await pool.query('ALTER FUNCTION aihub_ensure_ai_features_partitions RENAME TO aihub_ensure_gone');
    try {
      await expect(materializeFeatureSet(deps, key, set, new Date(hour.getTime() + 60_000))).rejects.toThrow(
        /aihub_ensure_ai_features_partitions/,
      );
    } finally {
      await pool.query('ALTER FUNCTION aihub_ensure_gone RENAME TO aihub_ensure_ai_features_partitions');
    }
    expect((await historyOf('m1')).vectors).toEqual([]);
    await materializeFeatureSet(deps, key, set, new Date(hour.getTime() + 120_000));
    const served = await a.features.get.query({
      featureSet: 'forecast_basic',
      metric: 'kwh',
      entityIds: ['m1'],
    });
    const after = await historyOf('m1');
    expect(after.vectors.map((v) => [v.asOf, v.values])).toEqual([[hour, served.vectors[0]?.values]]);
    expect((await recorded()).vectors.length).toBeGreaterThan(0); // anomaly_detection's own row is untouched
  });
});
