import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAihubClient } from '../src/client.js';
import { startTestServer, type TestServer } from '../src/testing.js';

/*
 * Ingest lines PostgreSQL could not store (issue 8 item 6) are that line's problem, not the file's:
 * reported with their line number, the rest kept with strict=false. Values whose squares overflow
 * the aggregates, and a refused file's unread body on a kept-alive connection, likewise.
 */

interface Summary {
  accepted: number;
  rejected: number;
  problems: { line: number; reason: string }[];
  committed: boolean;
  error?: { code: string; message: string };
}

describe('ingest at the edges', () => {
  let server: TestServer;
  let key: string;
  let db: pg.Client;

  const upload = async (kind: string, query: string, body: string) => {
    const res = await fetch(`${server.url}/v1/ingest/${kind}?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as Summary };
  };
  const stored = async (entity: string) =>
    (
      await db.query<{ ts: Date; value: number }>(
        'SELECT ts, value FROM timeseries_data WHERE entity_id = $1 ORDER BY ts',
        [entity],
      )
    ).rows.map((r) => [r.ts.toISOString(), r.value]);

  beforeAll(async () => {
    server = await startTestServer({ AIHUB_WORKERS: 'false' });
    const root = createAihubClient({ url: server.url, apiKey: server.adminKey });
    key = (await root.projects.create.mutate({ name: 'edges' })).adminKey.token;
    const api = createAihubClient({ url: server.url, apiKey: key });
    await api.ingest.entities.mutate({
      records: [{ entity_id: 'a' }, { entity_id: 'b' }, { entity_id: 'c' }],
      strict: true,
    });
    db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await server?.stop();
  });

  const range = 'is outside the supported range 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z';

  it('reports a line of year 0000 or past 9999 as that line and keeps the rest (strict=false)', async () => {
    const csv = [
      'entity_id,metric,ts,value',
      'a,kwh,2026-03-01T09:10:00Z,1',
      'a,kwh,0000-01-01T00:00:00Z,2',
      'a,kwh,9999-12-31T23:59:59-14:00,3',
      'a,kwh,0001-01-01T00:00:00Z,4',
      'a,kwh,9999-12-31T23:59:59.999Z,5',
    ].join('\n');
    const { status, body } = await upload('readings', 'format=csv&strict=false', csv);
    expect(status).toBe(200);
    expect(body).toEqual({
      accepted: 3,
      rejected: 2,
      committed: true,
      problems: [
        { line: 3, reason: `ts: '0000-01-01T00:00:00Z' ${range}` },
        { line: 4, reason: `ts: '9999-12-31T23:59:59-14:00' ${range}` },
      ],
    });
    expect(await stored('a')).toEqual([
      ['0001-01-01T00:00:00.000Z', 4],
      ['2026-03-01T09:10:00.000Z', 1],
      ['9999-12-31T23:59:59.999Z', 5],
    ]);
  });

  it('refuses the whole file for such a line with strict=true, and NDJSON lines the same way', async () => {
    const ndjson = [
      '{"entity_id":"b","metric":"kwh","ts":"2026-03-01T09:10:00Z","value":1}',
      '{"entity_id":"b","metric":"kwh","ts":"0000-06-01T00:00:00+02:00","value":2}',
    ].join('\n');
    const strict = await upload('readings', 'format=ndjson&strict=true', ndjson);
    expect(strict.body).toMatchObject({ accepted: 0, rejected: 1, committed: false });
    expect(await stored('b')).toEqual([]);
    const lenient = await upload('readings', 'format=ndjson', ndjson);
    expect(lenient.body).toMatchObject({
      accepted: 1,
      committed: true,
      problems: [{ line: 2, reason: `ts: '0000-06-01T00:00:00+02:00' ${range}` }],
    });
    const weather = await upload(
      'weather',
      'format=csv',
      'location_id,ts,temperature_c\nl1,9999-12-31T23:00:00Z,1\nl1,0000-01-01T00:00:00Z,1\nl1,2026-01-01T00:00:00Z,1\n',
    );
    expect(weather.body.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(weather.body.accepted).toBe(1);
  });

  it('rejects values whose squares would break every refresh, and refreshes afterwards', async () => {
    const csv =
      'entity_id,metric,ts,value\nc,kwh,2026-03-01T09:10:00Z,1e308\nc,kwh,2026-03-01T09:20:00Z,5e-324\nc,kwh,2026-03-01T09:30:00Z,1e100\n';
    const { body } = await upload('readings', 'format=csv', csv);
    expect(body.problems.map((p) => [p.line, p.reason])).toEqual([
      [2, 'value: must be 0 or between 1e-100 and 1e100 in magnitude (got 1e308)'],
      [3, 'value: must be 0 or between 1e-100 and 1e100 in magnitude (got 5e-324)'],
    ]);
    const api = createAihubClient({ url: server.url, apiKey: key });
    const refreshed = await api.aggregates.refresh.mutate();
    expect(refreshed.hourlyBuckets).toBeGreaterThan(0);
  });

  it('takes a line of exactly 65,536 characters, reports one character more as that line, keeps the rest', async () => {
    // Valid lines padded with blanks before the value (fields are trimmed) to the exact lengths.
    const padded = (ts: string, value: string, length: number) => {
      const head = `d,kwh,${ts},`;
      return head + ' '.repeat(length - head.length - value.length) + value;
    };
    const csv = [
      'entity_id,metric,ts,value',
      padded('2026-03-02T00:00:00Z', '1', 65_536),
      padded('2026-03-02T01:00:00Z', '2', 65_537),
      'd,kwh,2026-03-02T02:00:00Z,3',
    ].join('\r\n');
    expect(csv.split('\r\n').map((line) => line.length)).toEqual([25, 65_536, 65_537, 28]);
    const api = createAihubClient({ url: server.url, apiKey: key });
    await api.ingest.entities.mutate({ records: [{ entity_id: 'd' }] });
    const { status, body } = await upload('readings', 'format=csv', csv);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      accepted: 2,
      rejected: 1,
      committed: true,
      problems: [{ line: 3, reason: 'longer than 65,536 characters' }],
    });
    expect(await stored('d')).toEqual([
      ['2026-03-02T00:00:00.000Z', 1],
      ['2026-03-02T02:00:00.000Z', 3],
    ]);
    // NDJSON the same way; a header line over the limit refuses the file, naming line 1.
    const json = (length: number) => {
      const text = '{"entity_id":"d","metric":"kwh","ts":"2026-03-02T03:00:00Z","value":4}';
      return `${text.slice(0, -1)}${' '.repeat(length - text.length)}}`;
    };
    const ndjson = await upload('readings', 'format=ndjson&strict=true', `${json(65_536)}\n${json(65_537)}\n`);
    expect(ndjson.body).toMatchObject({
      committed: false,
      problems: [{ line: 2, reason: 'longer than 65,536 characters' }],
    });
    const header = await upload('readings', 'format=csv', `entity_id,metric,ts,value${' '.repeat(65_600)}\n`);
    expect(header.status).toBe(400);
    expect(header.body.error?.message).toBe('line 1: longer than 65,536 characters');
  });

  it('keeps the aggregates equal to the readings after a file of three batches touching hours out of order', async () => {
    const api = createAihubClient({ url: server.url, apiKey: key });
    await api.ingest.entities.mutate({ records: [{ entity_id: 'x1' }, { entity_id: 'x2' }] });
    const base = Date.UTC(2026, 4, 1);
    const at = (hour: number, second: number) => new Date(base + hour * 3_600_000 + second * 1000).toISOString();
    // Hours 0-99 stored and refreshed first.
    const first = ['entity_id,metric,ts,value'];
    for (let h = 0; h < 100; h++) first.push(`x1,kwh,${at(h, 0)},1`, `x2,kwh,${at(h, 0)},2`);
    expect((await upload('readings', 'format=csv', first.join('\n'))).body.accepted).toBe(200);
    await api.aggregates.refresh.mutate();
    // Then one file of three batches (50,000 + 50,000 + 10,001 lines), each series' hours in a
    // scrambled order: the first batch over hours 0-99, the second over 50-149 (both the fast path),
    // the third over 150-199 with one line repeating the key of the line before with another value,
    // which sends that batch through the upsert. A run of any batch left out of the invalidation log
    // leaves stale or missing buckets below.
    const second = ['entity_id,metric,ts,value'];
    const batches = [
      { lines: 50_000, from: 0, span: 100 },
      { lines: 50_000, from: 50, span: 100 },
      { lines: 10_000, from: 150, span: 50 },
    ];
    let last = '';
    batches.forEach(({ lines, from, span }, b) => {
      for (let i = 0; i < lines; i++) {
        const k = Math.floor(i / 2);
        last = `x${(i % 2) + 1},kwh,${at(from + ((k * 37) % span), b * 1000 + Math.floor(k / span) + 1)}`;
        second.push(`${last},${(k % 13) + 0.5}`);
      }
    });
    second.push(`${last},1000`);
    const { body } = await upload('readings', 'format=csv', second.join('\n'));
    expect(body).toMatchObject({ accepted: 110_001, rejected: 0, committed: true });
    await api.aggregates.refresh.mutate();
    // The later line won, and every hourly bucket agrees with the readings grouped by hour.
    const [entity, ts] = last.split(',kwh,');
    const latest = await db.query('SELECT value FROM timeseries_data WHERE entity_id = $1 AND ts = $2', [
      entity,
      ts,
    ]);
    expect(latest.rows).toEqual([{ value: 1000 }]);
    const differences = await db.query(
      `WITH expected AS (
         SELECT entity_id, date_trunc('hour', ts, 'UTC') AS bucket, count(*)::int AS count, sum(value) AS sum,
                min(value) AS min, max(value) AS max
           FROM timeseries_data WHERE entity_id IN ('x1', 'x2') GROUP BY 1, 2),
       actual AS (
         SELECT entity_id, bucket, count, sum, min, max FROM hourly_features WHERE entity_id IN ('x1', 'x2'))
       SELECT * FROM expected e FULL JOIN actual a USING (entity_id, bucket)
        WHERE a.count IS DISTINCT FROM e.count OR abs(a.sum - e.sum) > 1e-9 OR a.min IS DISTINCT FROM e.min
           OR a.max IS DISTINCT FROM e.max OR a.count IS NULL OR e.count IS NULL`,
    );
    expect(differences.rows).toEqual([]);
    const buckets = await db.query(`SELECT count(*)::int AS n FROM hourly_features WHERE entity_id IN ('x1', 'x2')`);
    expect(buckets.rows).toEqual([{ n: 400 }]);
  });

  it('answers the next request on a kept-alive connection after refusing a file it did not read', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(server.url);
    const send = (body: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/v1/ingest/entities?format=csv',
          agent,
          headers: { authorization: `Bearer ${key}`, 'content-length': Buffer.byteLength(body) },
        });
        req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve(`${res.statusCode} ${text.slice(0, 40)}`));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      // A wrong header is refused at once, with 300 KB of the file still unread.
      expect(await send(`wrong,header\n${'x'.repeat(300_000)}\n`)).toMatch(/^400 /);
      expect(await send('entity_id\nd\n')).toBe('200 {"accepted":1,"rejected":0,"problems":[]');
    } finally {
      agent.destroy();
    }
  });
});
