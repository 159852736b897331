import http from 'node:http';
import net from 'node:net';
import type { FuzzFixture } from './fixture.js';
import {
  type FuzzRequest,
  ingestRequest,
  probeRequest,
  rawRequest,
  transportRequest,
  unknownRouteRequest,
  uploadRequest,
} from './http-cases.js';
import { Random } from './random.js';
import { restRequest, restRoutes } from './rest-cases.js';
import { procedures, trpcRequest } from './trpc-cases.js';

/*
 * Sends `requests` malformed requests, round-robin over every target (each tRPC procedure, each REST
 * route and each plain HTTP endpoint, weighted below), `concurrency` at a time, and counts the answers by status.
 * Request i is generated from (seed, i) alone, so a run is reproducible whatever the concurrency.
 */

export interface FuzzOptions {
  url: string;
  fixture: FuzzFixture;
  seed: number;
  requests: number;
  concurrency: number;
  /** Per request; a request without an answer by then counts as `timeout`. */
  timeoutMs?: number;
  /** Replays only these request indices (of the same seed), e.g. one a report listed. */
  only?: number[];
}

export interface FuzzFailure {
  index: number;
  target: string;
  method: string;
  path: string;
  status: string;
  requestId: string | null;
  body: string;
  answer: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  durationMs: number;
  byStatus: Record<string, number>;
  byTarget: Record<string, Record<string, number>>;
  /** 5xx answers, network errors and timeouts (the first 50). */
  failures: FuzzFailure[];
  failureCount: number;
}

type Target = { name: string; make: (fx: FuzzFixture, rng: Random) => FuzzRequest };

/** Every tRPC procedure once, every plain endpoint a few times (files and uploads have more to vary). */
export function targets(): Target[] {
  const list: Target[] = procedures().map((p) => ({
    name: `trpc ${p.path}`,
    make: (fx, rng) => trpcRequest(p, fx, rng),
  }));
  for (const kind of ['entities', 'readings', 'weather'] as const) {
    for (let i = 0; i < 2; i++)
      list.push({ name: `http ingest ${kind}`, make: (fx, rng) => ingestRequest(kind, fx, rng) });
  }
  list.push({ name: 'http upload', make: uploadRequest }, { name: 'http upload', make: uploadRequest });
  list.push({ name: 'http probes', make: (_fx, rng) => probeRequest(rng) });
  list.push({ name: 'http unknown route', make: (_fx, rng) => unknownRouteRequest(rng) });
  list.push(
    { name: 'trpc transport', make: transportRequest },
    { name: 'trpc transport', make: transportRequest },
  );
  list.push({ name: 'raw socket', make: rawRequest });
  // Every REST route once: the same procedures through the path, query string and JSON body.
  for (const route of restRoutes())
    list.push({ name: `rest ${route.method} ${route.path}`, make: (fx, rng) => restRequest(route, fx, rng) });
  return list;
}

interface Answer {
  status: string;
  requestId: string | null;
  body: string;
}

function sendHttp(url: URL, request: FuzzRequest, agent: http.Agent, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Answer) => {
      if (!settled) {
        settled = true;
        resolve(answer);
      }
    };
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers,
        agent,
        // Header values the fuzzer sends on purpose (latin1, long ones) must not be refused here.
        insecureHTTPParser: true,
      });
    } catch (error) {
      return done({
        status: `client refused: ${(error as Error).message.slice(0, 60)}`,
        requestId: null,
        body: '',
      });
    }
    req.setTimeout(timeoutMs, () => {
      done({ status: 'timeout', requestId: null, body: '' });
      req.destroy();
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < 4_096) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        done({
          status: String(res.statusCode),
          requestId: (res.headers['x-request-id'] as string | undefined) ?? null,
          body: Buffer.concat(chunks).toString('utf8').slice(0, 2_000),
        }),
      );
      res.on('error', (error) => done({ status: `network: ${error.message}`, requestId: null, body: '' }));
    });
    // Node answers a request line and headers over 16 KiB with 431 and closes at once; a client
    // still writing them may see the reset before the answer. That is the limit working.
    const headerBytes =
      request.path.length +
      Object.entries(headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0);
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({
        status:
          headerBytes > 16_384 && error.code === 'ECONNRESET'
            ? '431 (reset while sending)'
            : `network: ${error.code ?? error.message}`,
        requestId: null,
        body: '',
      }),
    );
    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}

/** Writes raw bytes, half-closes, and reads the status line of whatever comes back. */
function sendRaw(url: URL, bytes: Buffer, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    let received = '';
    const finish = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      resolve({
        status: status ?? 'no answer',
        requestId: /x-request-id: (\S+)/i.exec(received)?.[1] ?? null,
        body: received.slice(0, 500),
      });
    };
    socket.setTimeout(Math.min(timeoutMs, 5_000), finish);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.write(bytes, () => socket.end());
  });
}

export function isFailure(status: string): boolean {
  return /^5\d\d$/.test(status) || status.startsWith('network') || status === 'timeout';
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const url = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const list = targets();
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const report: FuzzReport = {
    seed: options.seed,
    requests: options.requests,
    durationMs: 0,
    byStatus: {},
    byTarget: {},
    failures: [],
    failureCount: 0,
  };
  const started = performance.now();
  const indices = options.only ?? Array.from({ length: options.requests }, (_, i) => i);
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (next >= indices.length) return;
      const index = indices[next++] as number;
      const rng = new Random((Math.imul(options.seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
      const target = list[index % list.length] as Target;
      const request = target.make(options.fixture, rng);
      const answer = request.raw
        ? await sendRaw(url, request.raw, timeoutMs)
        : await sendHttp(url, request, agent, timeoutMs);
      report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
      const perTarget = report.byTarget[target.name] ?? {};
      report.byTarget[target.name] = perTarget;
      perTarget[answer.status] = (perTarget[answer.status] ?? 0) + 1;
      if (isFailure(answer.status)) {
        report.failureCount++;
        if (report.failures.length < 50) {
          const body = request.raw ?? request.body ?? '';
          report.failures.push({
            index,
            target: target.name,
            method: request.method,
            path: request.path.slice(0, 300),
            status: answer.status,
            requestId: answer.requestId,
            body: body.toString('utf8').slice(0, 300),
            answer: answer.body.slice(0, 300),
          });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** The report as a few readable lines. */
export function formatReport(report: FuzzReport): string {
  const statuses = Object.entries(report.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status} x ${n}`)
    .join(', ');
  const fiveXX = Object.entries(report.byStatus)
    .filter(([status]) => /^5/.test(status))
    .reduce((sum, [, n]) => sum + n, 0);
  const lines = [
    `fuzz: seed ${report.seed}, ${report.requests} requests over ${Object.keys(report.byTarget).length} targets in ${(report.durationMs / 1000).toFixed(1)} s`,
    `by status: ${statuses}`,
    `5xx: ${fiveXX}; network errors and timeouts: ${report.failureCount - fiveXX}`,
  ];
  for (const f of report.failures.slice(0, 20)) {
    lines.push(
      `  #${f.index} ${f.target} ${f.method} ${f.path.slice(0, 120)} -> ${f.status} (request id ${f.requestId})`,
    );
    lines.push(`     body: ${JSON.stringify(f.body.slice(0, 200))}`);
    lines.push(`     answer: ${JSON.stringify(f.answer.slice(0, 200))}`);
  }
  return lines.join('\n');
}
