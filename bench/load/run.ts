// bench/load: a bounded load check. 50 concurrent clients (closed loop: each sends its next call
// when the last one answered) over a mix of reads for 30 s while readings files are ingested
// (each ingest triggers an aggregate refresh and a re-materialization), beside a baseline of the
// same clients without ingests in the same run. Prints per-procedure counts, errors, p50 and p99,
// and what /metrics saw. Asserts nothing.
// Options: --clients=50 --seconds=30 --baseline=10 (seconds) --ingesters=2 --rows=10000 (per file)
// --entities=200 --days=14 (dataset, built in a fresh database of its own).
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@aihub/db/testing';
import { type AihubClient, createAihubClient } from '@aihub/server/client';
import { banner, fmt, option, percentile } from '../lib/figures.js';
import { peakRssMiB, spawnServer } from '../lib/server.js';

const clients = option('clients', 50);
const seconds = option('seconds', 30);
const baselineSeconds = option('baseline', 10);
const ingesters = option('ingesters', 2);
const rowsPerFile = option('rows', 10_000);
const entities = option('entities', 200);
const days = option('days', 14);

const HOUR = 3_600_000;
const METRICS_TOKEN = randomBytes(24).toString('base64url');
const entityIds = Array.from({ length: entities }, (_, i) => `load-${String(i).padStart(4, '0')}`);
const currentHour = Math.floor(Date.now() / HOUR) * HOUR;

interface Tally {
  latencies: number[];
  errors: number;
  firstError?: string;
}

/** Readings of random entities at random minutes of the last `hours` hours, as a CSV file. */
function readingsCsv(rows: number, hours: number, seed: number): string {
  let x = seed;
  const next = () => {
    // xorshift32: deterministic per file, cheap.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const lines = ['entity_id,metric,ts,value'];
  for (let i = 0; i < rows; i++) {
    const entity = entityIds[Math.floor(next() * entities)];
    const ts = currentHour - Math.floor(next() * hours * 60) * 60_000 - 60_000;
    lines.push(`${entity},kwh,${new Date(ts).toISOString()},${(next() * 10).toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function ingestFile(url: string, token: string, csv: string): Promise<Response> {
  return fetch(`${url}/v1/ingest/readings?format=csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
}

/** The read mix one client cycles through: mostly online reads, as an inference service would. */
function mix(client: AihubClient, i: number): [string, () => Promise<unknown>][] {
  const batch = Array.from({ length: 10 }, (_, k) => entityIds[(i * 10 + k) % entities] as string);
  const spine = Array.from({ length: 24 }, (_, k) => ({
    entityId: entityIds[(i + k) % entities] as string,
    asOf: new Date(currentHour - (k + 1) * HOUR),
  }));
  return [
    [
      'features.get',
      () => client.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: batch }),
    ],
    [
      'features.get',
      () => client.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: batch }),
    ],
    [
      'features.get',
      () => client.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: batch }),
    ],
    [
      'features.get',
      () => client.features.get.query({ featureSet: 'forecast_basic', metric: 'kwh', entityIds: batch }),
    ],
    [
      'features.offline',
      () => client.features.offline.query({ featureSet: 'forecast_basic', metric: 'kwh', spine }),
    ],
    ['auth.whoami', () => client.auth.whoami.query()],
    ['health.ready', () => client.health.ready.query()],
    ['aggregates.status', () => client.aggregates.status.query()],
    ['models.list', () => client.models.list.query({})],
    ['features.materializations', () => client.features.materializations.query()],
  ];
}

/** `clients` closed-loop clients for `durationMs`; per-procedure latencies (ms) and errors. */
async function drive(client: AihubClient, durationMs: number): Promise<Map<string, Tally>> {
  const tallies = new Map<string, Tally>();
  const deadline = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; performance.now() < deadline; i += clients) {
        const calls = mix(client, i);
        const [name, call] = calls[i % calls.length] as [string, () => Promise<unknown>];
        const tally = tallies.get(name) ?? { latencies: [], errors: 0 };
        tallies.set(name, tally);
        const t0 = performance.now();
        try {
          await call();
          tally.latencies.push(performance.now() - t0);
        } catch (error) {
          tally.errors++;
          tally.firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return tallies;
}

function report(title: string, tallies: Map<string, Tally>, durationMs: number): void {
  banner(title);
  const all: number[] = [];
  let errors = 0;
  for (const [name, tally] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) {
    tally.latencies.sort((a, b) => a - b);
    all.push(...tally.latencies);
    errors += tally.errors;
    console.log(
      `${name.padEnd(26)} ${String(tally.latencies.length + tally.errors).padStart(7)} calls  errors ${String(tally.errors).padStart(4)}  ` +
        `p50 ${fmt(percentile(tally.latencies, 50)).padStart(8)} ms  p99 ${fmt(percentile(tally.latencies, 99)).padStart(8)} ms` +
        (tally.firstError ? `  first error: ${tally.firstError.slice(0, 120)}` : ''),
    );
  }
  all.sort((a, b) => a - b);
  console.log(
    `${'all'.padEnd(26)} ${String(all.length + errors).padStart(7)} calls  errors ${String(errors).padStart(4)}  ` +
      `p50 ${fmt(percentile(all, 50)).padStart(8)} ms  p99 ${fmt(percentile(all, 99)).padStart(8)} ms  ` +
      `(${fmt((all.length + errors) / (durationMs / 1000), 0)} calls/s)`,
  );
}

function metricValue(text: string, line: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.slice(line.length)
      .trim() ?? 'absent'
  );
}

const database = await createTestDatabase();
const adminKey = `aihub_loadadmn_${randomBytes(32).toString('base64url').slice(0, 43)}`;
const server = await spawnServer({
  DATABASE_URL: database.url,
  AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
  AIHUB_MIGRATE_ON_START: 'false',
  METRICS_TOKEN,
  LOG_LEVEL: 'warn',
});
try {
  const admin = createAihubClient({ url: server.url, apiKey: adminKey });
  const { adminKey: projectKey } = await admin.projects.create.mutate({ name: 'load' });
  const client = createAihubClient({ url: server.url, apiKey: projectKey.token });

  // Dataset: `entities` meters with two readings an hour for `days` days (not timed).
  await client.ingest.entities.mutate({ records: entityIds.map((entity_id) => ({ entity_id })) });
  const setupRows = entities * days * 48;
  const setup = await ingestFile(server.url, projectKey.token, readingsCsv(setupRows, days * 24, 7));
  if (!setup.ok) throw new Error(`setup ingest failed: ${setup.status} ${await setup.text()}`);
  await client.aggregates.refresh.mutate();
  const materialized = await client.features.materialize.mutate({
    featureSet: 'forecast_basic',
    metric: 'kwh',
  });
  console.log(
    `dataset: ${entities} entities, ${setupRows.toLocaleString('en-US')} readings over ${days} days; ` +
      `${materialized.entities} vectors materialized; ${clients} clients; server ${server.url}`,
  );

  const baseline = await drive(client, baselineSeconds * 1000);
  report(`baseline: ${clients} clients, ${baselineSeconds} s, no ingest`, baseline, baselineSeconds * 1000);

  // Ingesters: each posts readings files back to back while the clients run.
  let stop = false;
  const ingest = { files: 0, rows: 0, failed: 0, durations: [] as number[], firstError: '' };
  const ingesting = Promise.all(
    Array.from({ length: ingesters }, async (_, n) => {
      for (let file = 0; !stop; file++) {
        const csv = readingsCsv(rowsPerFile, 48, 1_000 + n * 100_000 + file);
        const t0 = performance.now();
        const res = await ingestFile(server.url, projectKey.token, csv).catch((error: Error) => error);
        if (res instanceof Error || !res.ok) {
          ingest.failed++;
          ingest.firstError ||= res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
          continue;
        }
        const summary = (await res.json()) as { accepted: number };
        ingest.files++;
        ingest.rows += summary.accepted;
        ingest.durations.push(performance.now() - t0);
      }
    }),
  );
  const loaded = await drive(client, seconds * 1000);
  stop = true;
  await ingesting;
  report(
    `under ingest: ${clients} clients, ${seconds} s, ${ingesters} ingesters of ${rowsPerFile.toLocaleString('en-US')}-row files`,
    loaded,
    seconds * 1000,
  );
  ingest.durations.sort((a, b) => a - b);
  console.log(
    `ingest: ${ingest.files} files, ${ingest.rows.toLocaleString('en-US')} rows accepted, ${ingest.failed} failed, ` +
      `p50 ${fmt(percentile(ingest.durations, 50) / 1000)} s, max ${fmt((ingest.durations.at(-1) ?? Number.NaN) / 1000)} s per file` +
      (ingest.firstError ? `; first error: ${ingest.firstError.slice(0, 160)}` : ''),
  );

  const metrics = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  banner('what /metrics saw');
  for (const line of [
    'aihub_online_vectors_total{outcome="hit"}',
    'aihub_online_vectors_total{outcome="miss"}',
    'aihub_online_vectors_total{outcome="fallback"}',
    'aihub_materialization_runs_total{outcome="succeeded"}',
    'aihub_materialization_runs_total{outcome="failed"}',
    'aihub_job_failures_total{queue="aggregates-refresh"}',
    'aihub_refresh_backlog_buckets',
    'aihub_pg_pool_connections{pool="main",state="waiting"}',
  ]) {
    console.log(`${line} ${metricValue(metrics, line)}`);
  }
  console.log(`server peak RSS ${fmt(await peakRssMiB(server.pid), 0)} MiB`);
  // What the server logged at error level (a 5xx says only its request id to the client).
  const errors = server
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":"error"') || line.includes('"level":50'));
  if (errors.length > 0) {
    banner(`server errors (${errors.length})`);
    for (const line of errors.slice(0, 5)) console.log(line.slice(0, 600));
  }
} finally {
  await server.stop();
  await database.drop();
}
