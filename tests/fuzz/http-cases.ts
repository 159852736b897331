import type { FuzzFixture, FuzzKeys } from './fixture.js';
import type { Random } from './random.js';
import { mutate, NASTY_TIMESTAMPS, nastyValue, type Value } from './values.js';
import { toWire } from './wire.js';

/*
 * Malformed requests to the plain HTTP endpoints (file ingest, artifact upload, probes, unknown
 * routes), malformed tRPC transport (bodies, batches, content types, methods), and raw bytes no
 * HTTP client library would send.
 */

export interface FuzzRequest {
  target: string;
  method: string;
  /** Already encoded: sent as is. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Bytes written to a bare TCP socket instead of an HTTP request. */
  raw?: Buffer;
}

/** An Authorization header other than the right key: none, garbage, another role's, revoked. */
export function authVariant(keys: FuzzKeys, rng: Random): string | undefined {
  return rng.pick<string | undefined>([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    `Bearer ${keys.reader}`,
    `Bearer ${keys.writer}`,
    `Bearer ${keys.revoked}`,
    `Bearer ${keys.root}`,
    `Bearer ${keys.admin}x`,
    `Bearer aihub_${'x'.repeat(43)}`,
    `bearer ${keys.admin}`,
    `Bearer ${keys.admin} ${keys.admin}`,
    `Bearer ${'a'.repeat(8_000)}`,
  ]);
}

const INGEST_TEMPLATES = {
  entities: {
    header: ['entity_id', 'location_id', 'timezone'],
    row: (_fx: FuzzFixture, _ts: string): Record<string, Value> => ({
      entity_id: 'm1',
      location_id: 'loc-1',
      timezone: 'Europe/Berlin',
    }),
  },
  readings: {
    header: ['entity_id', 'metric', 'ts', 'value'],
    row: (fx: FuzzFixture, ts: string): Record<string, Value> => ({
      entity_id: 'm2',
      metric: fx.metric,
      ts,
      value: 2.5,
    }),
  },
  weather: {
    header: ['location_id', 'ts', 'issued_at', 'temperature_c', 'humidity_pct', 'wind_speed_ms'],
    row: (fx: FuzzFixture, ts: string): Record<string, Value> => ({
      location_id: fx.locationId,
      ts,
      issued_at: ts,
      temperature_c: 1,
      humidity_pct: 50,
      wind_speed_ms: 2,
    }),
  },
} as const;

type Kind = keyof typeof INGEST_TEMPLATES;

function csvCell(value: Value): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(toWire(value).json) ?? '');
  // Quoted as RFC 4180 wants, except now and then, to leave stray quotes and separators in place.
  return /[",\n]/.test(text) && text.length % 3 !== 0 ? `"${text.replace(/"/g, '""')}"` : text;
}

function ingestBody(kind: Kind, format: 'csv' | 'ndjson', fx: FuzzFixture, rng: Random): Buffer {
  const template = INGEST_TEMPLATES[kind];
  const lines: string[] = [];
  if (format === 'csv') {
    let header: string[] = [...template.header];
    if (rng.chance(0.1))
      header = rng.pick([
        [],
        ['entity_id'],
        [...header, 'colour'],
        [...header, header[0] as string],
        ['\u0000'],
      ]);
    lines.push((rng.chance(0.05) ? '\uFEFF' : '') + header.join(','));
  }
  const count = rng.int(1, 12);
  for (let i = 0; i < count; i++) {
    const hour = Date.parse(fx.start) + rng.int(0, 47) * 3_600_000;
    const row = template.row(fx, new Date(hour).toISOString());
    const good = rng.chance(0.4);
    let record: Value = row;
    if (!good) {
      const roll = rng.next();
      if (roll < 0.4) {
        const column = rng.pick(Object.keys(row));
        record = { ...row, [column]: rng.chance(0.5) ? rng.pick(NASTY_TIMESTAMPS) : nastyValue(rng) };
      } else {
        record = mutate(row, rng);
      }
    }
    if (format === 'ndjson') {
      lines.push(
        rng.chance(0.05)
          ? rng.pick(['{', '[]', 'null', '"x"', '{"a":1}{', '\u0000'])
          : JSON.stringify(toWire(record).json),
      );
    } else {
      const cells =
        typeof record === 'object' && record !== null && !Array.isArray(record)
          ? template.header.map((c) => csvCell((record as Record<string, Value>)[c] ?? ''))
          : [csvCell(record)];
      lines.push(cells.join(','));
    }
  }
  let text = lines.join(rng.chance(0.1) ? '\r\n' : '\n');
  if (rng.chance(0.5)) text += '\n';
  let body = Buffer.from(text, 'utf8');
  const damage = rng.next();
  if (damage < 0.05) body = Buffer.concat([body, Buffer.from([0xff, 0xfe, 0x00, 0xc3])]);
  else if (damage < 0.08) body = Buffer.concat([body, Buffer.from(`\n${'9'.repeat(300_000)}\n`)]);
  else if (damage < 0.1) body = Buffer.from(body.toString('utf8').replace(/,/g, '\u0000'));
  else if (damage < 0.12) body = Buffer.alloc(0);
  else if (damage < 0.14) body = Buffer.from('\r\r\r');
  return body;
}

function withAuth(headers: Record<string, string>, keys: FuzzKeys, rng: Random, right: string) {
  const auth = rng.chance(0.85) ? `Bearer ${right}` : authVariant(keys, rng);
  if (auth !== undefined) headers.authorization = auth;
  return headers;
}

export function ingestRequest(kind: Kind, fx: FuzzFixture, rng: Random): FuzzRequest {
  const format = rng.chance(0.5) ? 'csv' : 'ndjson';
  const params = new URLSearchParams();
  const formatParam = rng.chance(0.9) ? format : rng.pick(['xml', '', 'CSV', '\u0000']);
  if (rng.chance(0.9)) params.set('format', formatParam);
  if (rng.chance(0.7))
    params.set('strict', rng.chance(0.9) ? String(rng.chance(0.3)) : rng.pick(['yes', '', '1']));
  const headers = withAuth({}, fx.keys, rng, fx.keys.writer);
  if (rng.chance(0.3))
    headers['content-type'] = rng.pick([
      'text/csv',
      'application/x-ndjson',
      'application/json',
      'multipart/form-data',
    ]);
  const path = `/v1/ingest/${rng.chance(0.95) ? kind : rng.pick(['', 'readings/x', 'Readings', '%00', '..'])}`;
  const method = rng.chance(0.95) ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE']);
  return {
    target: `http ingest ${kind}`,
    method,
    path: `${path}?${params}`,
    headers,
    body: ingestBody(kind, format, fx, rng),
  };
}

export function uploadRequest(fx: FuzzFixture, rng: Random): FuzzRequest {
  const id = rng.pick([
    ...fx.pendingVersionIds,
    fx.readyVersionId,
    '00000000-0000-4000-8000-000000000000',
    'not-a-uuid',
    '',
    `${fx.readyVersionId}/extra`,
    '%E0%A4%A',
    '..%2F..%2Fx',
  ]);
  const size = rng.pick([0, 1, 16, 1_000, 70_000]);
  const body = Buffer.alloc(size, rng.int(0, 255));
  const headers = withAuth({ 'content-type': 'application/octet-stream' }, fx.keys, rng, fx.keys.writer);
  const method = rng.chance(0.9) ? 'PUT' : rng.pick(['POST', 'GET', 'DELETE', 'PATCH']);
  return {
    target: 'http upload',
    method,
    path: `/v1/models/uploads/${id}`,
    headers,
    body: method === 'GET' ? undefined : body,
  };
}

export function probeRequest(rng: Random): FuzzRequest {
  const path = rng.pick(['/livez', '/readyz']);
  const method = rng.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE']);
  const query = rng.pick(['', '?x=1', '?%00', `?${'a'.repeat(5_000)}`]);
  return {
    target: `http ${path}`,
    method,
    path: `${path}${query}`,
    headers: {},
    body: method === 'POST' ? 'x' : undefined,
  };
}

export function unknownRouteRequest(rng: Random): FuzzRequest {
  const path = rng.pick([
    '/',
    '/trpc',
    '/trpc/',
    '/trpc/health.live/extra',
    '/trpc/nope.nothing',
    '/trpc/%E0%A4%A',
    '/trpc/health.live%00',
    '/trpc/__proto__',
    '/trpc/constructor',
    '/trpc/models.__proto__',
    '/v1/',
    '/v1/ingest',
    '/v1/ingest/',
    '/v1/models/uploads',
    '/%',
    '//',
    '/metrics',
    `/${'a'.repeat(10_000)}`,
  ]);
  return { target: 'http unknown route', method: rng.pick(['GET', 'POST', 'PUT']), path, headers: {} };
}

/** tRPC over HTTP, malformed at the transport: bodies, batches, content types, methods. */
export function transportRequest(fx: FuzzFixture, rng: Random): FuzzRequest {
  const auth = { authorization: `Bearer ${fx.keys.admin}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const target = 'trpc transport';
  const batchInput = (n: number) =>
    encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: null }]))),
    );
  const cases: (() => FuzzRequest)[] = [
    () => ({ target, method: 'POST', path: '/trpc/projects.create', headers: json, body: '{not json' }),
    () => ({ target, method: 'POST', path: '/trpc/projects.create', headers: json, body: '' }),
    () => ({ target, method: 'POST', path: '/trpc/keys.create', headers: json, body: 'null' }),
    () => ({ target, method: 'POST', path: '/trpc/keys.create', headers: json, body: '[1,2]' }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/keys.create',
      headers: json,
      body: `{"json":${'1'.repeat(400)}}`,
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/keys.create',
      headers: json,
      body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/keys.create',
      headers: json,
      body: `{"json":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/models.register',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '{}',
    }),
    () => ({ target, method: 'POST', path: '/trpc/models.register', headers: auth, body: '{}' }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/models.register',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nm\r\n--x--\r\n',
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/models.register',
      headers: { ...auth, 'content-type': 'multipart/form-data' },
      body: 'junk',
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/ingest.readings',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: 'bytes',
    }),
    () => ({ target, method: 'GET', path: '/trpc/features.sets?input=%7Bnot', headers: auth }),
    () => ({ target, method: 'GET', path: '/trpc/features.sets?input=', headers: auth }),
    () => ({ target, method: 'GET', path: '/trpc/features.get?input=%ZZ', headers: auth }),
    () => ({
      target,
      method: 'GET',
      path: `/trpc/health.live,auth.whoami?batch=1&input=${batchInput(2)}`,
      headers: auth,
    }),
    () => ({
      target,
      method: 'GET',
      path: '/trpc/health.live,auth.whoami?batch=1&input=%5B%5D',
      headers: auth,
    }),
    () => ({ target, method: 'GET', path: '/trpc/health.live,auth.whoami?batch=1&input=1', headers: auth }),
    () => ({
      target,
      method: 'GET',
      path: `/trpc/${Array(50).fill('auth.whoami').join(',')}?batch=1&input=${batchInput(50)}`,
      headers: auth,
    }),
    () => ({ target, method: 'GET', path: '/trpc/health.live,keys.create?batch=1', headers: auth }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/aggregates.refresh,features.defineSet?batch=1',
      headers: json,
      body: '{"0":{"json":null},"1":{"json":{"name":"x"}}}',
    }),
    () => ({
      target,
      method: 'GET',
      path: `/trpc/features.sets,auth.whoami?batch=1&input=${batchInput(2)}`,
      headers: { ...auth, 'trpc-accept': 'application/jsonl' },
    }),
    () => ({
      target,
      method: 'GET',
      path: '/trpc/features.sets',
      headers: { ...auth, 'trpc-accept': 'application/jsonl' },
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/models.register',
      headers: { ...json, 'trpc-accept': 'application/jsonl' },
      body: '{"json":{"name":"a\\u0000"}}',
    }),
    () => ({
      target,
      method: rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']),
      path: '/trpc/auth.whoami',
      headers: auth,
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/keys.create',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: 'not gzip',
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/keys.create',
      headers: { ...json, 'x-request-id': 'x'.repeat(500) },
      body: '{"json":{}}',
    }),
    () => ({
      target,
      method: 'GET',
      path:
        '/trpc/features.get?input=' +
        encodeURIComponent(
          JSON.stringify({
            json: mutate({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: ['m1'] }, rng),
          }),
        ) +
        '&input=2',
      headers: auth,
    }),
    () => ({
      target,
      method: 'POST',
      path: '/trpc/models.register',
      headers: json,
      body: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    }),
  ];
  return rng.pick(cases)();
}

/** Bytes on a bare socket: what Node's HTTP parser, not the application, must answer. */
export function rawRequest(fx: FuzzFixture, rng: Random): FuzzRequest {
  const crlf = '\r\n';
  const auth = `Authorization: Bearer ${fx.keys.writer}${crlf}`;
  const raw = rng.pick<() => Buffer>([
    () => Buffer.from(`GARBAGE${crlf}${crlf}`),
    () => Buffer.from(`GET /livez HTTP/9.9${crlf}${crlf}`),
    () => Buffer.from(`GET /livez HTTP/1.1${crlf}Host: x${crlf}X-Big: ${'a'.repeat(20_000)}${crlf}${crlf}`),
    () =>
      Buffer.from(
        `GET /trpc/auth.whoami HTTP/1.1${crlf}Host: x${crlf}Authorization: Bearer \u00e9\u00ff${crlf}${crlf}`,
        'latin1',
      ),
    () =>
      Buffer.concat([
        Buffer.from(`GET /trpc/auth.whoami HTTP/1.1${crlf}Host: x${crlf}Authorization: Bearer `),
        Buffer.from([0xc3, 0x28, 0xf0]),
        Buffer.from(`${crlf}${crlf}`),
      ]),
    () =>
      Buffer.from(
        `POST /v1/ingest/readings HTTP/1.1${crlf}Host: x${crlf}${auth}Transfer-Encoding: chunked${crlf}${crlf}zz${crlf}junk${crlf}0${crlf}${crlf}`,
      ),
    () =>
      Buffer.from(
        `POST /v1/ingest/readings HTTP/1.1${crlf}Host: x${crlf}${auth}Content-Length: 5${crlf}Content-Length: 7${crlf}${crlf}abcde`,
      ),
    () =>
      Buffer.from(
        `POST /trpc/models.register HTTP/1.1${crlf}Host: x${crlf}${auth}Content-Type: application/json${crlf}Content-Length: 999999999999${crlf}${crlf}{}`,
      ),
    () =>
      Buffer.from(
        `GET /trpc/auth.whoami HTTP/1.1${crlf}Host: x${crlf}X-Request-Id: ${'b'.repeat(64)}${crlf}${auth}${crlf}`,
      ),
    () =>
      Buffer.from(
        `POST /v1/ingest/readings?format=csv HTTP/1.1${crlf}Host: x${crlf}${auth}Content-Length: 40${crlf}${crlf}entity_id,metric,ts,value${crlf}m1,kwh`,
      ),
    () => Buffer.from(`GET ${'/'.repeat(3)}livez?${'%'.repeat(100)} HTTP/1.1${crlf}Host: x${crlf}${crlf}`),
  ])();
  return { target: 'raw socket', method: 'RAW', path: '', headers: {}, raw };
}
