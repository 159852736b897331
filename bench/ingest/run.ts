// bench/ingest: N readings (default 5M) from one CSV file, through the project's path (the real
// server's streaming HTTP endpoint: parse, validate, check entities, binary COPY into
// timeseries_data, log invalidations) beside a raw COPY of the same file into a plain table with
// the same primary key, in the same run: once before and once after the project's path, so a
// change of machine load during the run shows as two different baselines.
// Besides wall time it prints CPU seconds (server process, PostgreSQL backends) read from /proc,
// which a loaded machine disturbs far less; "n/a" when PostgreSQL runs elsewhere.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  chunked,
  copyLines,
  DATASET_START,
  dropDatabase,
  entityId,
  HOUR_MS,
  reading,
  recreateDatabase,
} from '../lib/dataset.js';
import { banner, fmt, option, timed } from '../lib/figures.js';
import { peakRssMiB, spawnServer } from '../lib/server.js';

const rows = option('rows', 5_000_000);
const entities = 1000;
const hours = Math.ceil(rows / entities);
const file = join(tmpdir(), `aihub-bench-ingest-${rows}.csv`);
const dbName = 'aihub_bench_ingest';
const TARGET = 0.8;
const runStarted = process.hrtime.bigint();

/** CPU seconds (user + system) a process has used so far; undefined when /proc cannot tell. */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** CPU seconds of every PostgreSQL backend connected to the bench database (pids from pg_stat_activity). */
async function backendsCpu(client: pg.Client): Promise<Map<number, number | undefined>> {
  const pids = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    dbName,
  ]);
  return new Map(await Promise.all(pids.rows.map(async (r) => [r.pid, await cpuSeconds(r.pid)] as const)));
}

function cpuSpent(before: Map<number, number | undefined>, after: Map<number, number | undefined>) {
  let total = 0;
  for (const [pid, seconds] of after) {
    if (seconds === undefined) return undefined;
    total += seconds - (before.get(pid) ?? 0);
  }
  return total;
}

const cpuText = (seconds: number | undefined) => (seconds === undefined ? 'n/a' : `${fmt(seconds, 1)} s`);

async function writeFile(): Promise<number> {
  function* lines() {
    yield 'entity_id,metric,ts,value\n';
    let n = 0;
    for (let h = 0; h < hours; h++) {
      const ts = new Date(DATASET_START + h * HOUR_MS + 1_000).toISOString();
      for (let e = 0; e < entities && n < rows; e++, n++) yield `${entityId(e)},kwh,${ts},${reading(e, h)}\n`;
    }
  }
  await pipeline(Readable.from(chunked(lines())), createWriteStream(file));
  return (await stat(file)).size;
}

banner(`ingest: ${rows.toLocaleString()} readings from one CSV file`);
const bytes = await writeFile();
console.log(`file: ${file} (${fmt(bytes / 2 ** 20, 1)} MiB)`);
const url = await recreateDatabase(dbName);
const client = new pg.Client({ connectionString: url });
await client.connect();
const adminKey = `aihub_benchmrk_${'b'.repeat(43)}`;
const server = await spawnServer({
  DATABASE_URL: url,
  AIHUB_WORKERS: 'false',
  AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
});
try {
  const root = await client.query<{ id: string }>('SELECT id FROM projects WHERE is_root');
  const projectId = root.rows[0]?.id as string;
  await copyLines(client, 'COPY entities (project_id, entity_id) FROM STDIN', function* () {
    for (let e = 0; e < entities; e++) yield `${projectId}\t${entityId(e)}\n`;
  });

  // Raw baseline: the same file, COPY into a plain table with the same primary key.
  const rawCopy = async () => {
    await client.query(`CREATE TABLE raw_readings (
      project_id uuid NOT NULL DEFAULT '${projectId}', entity_id text NOT NULL, metric text NOT NULL,
      ts timestamptz(3) NOT NULL, value float8 NOT NULL, PRIMARY KEY (project_id, entity_id, metric, ts))`);
    const own = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
      ?.pid as number;
    const cpuBefore = await cpuSeconds(own);
    const run = await timed(() =>
      pipeline(
        createReadStream(file),
        client.query(
          copyFrom('COPY raw_readings (entity_id, metric, ts, value) FROM STDIN (FORMAT csv, HEADER true)'),
        ),
      ),
    );
    const cpuAfter = await cpuSeconds(own);
    await client.query('DROP TABLE raw_readings');
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return { seconds: run.seconds, cpu };
  };
  const describeRaw = (name: string, raw: { seconds: number; cpu: number | undefined }) =>
    console.log(
      `raw COPY ${name} (plain table, same PK): ${fmt(raw.seconds)} s, ${fmt(rows / raw.seconds, 0)} rows/s; ` +
        `PostgreSQL CPU ${cpuText(raw.cpu)}`,
    );

  const rawBefore = await rawCopy();
  describeRaw('before', rawBefore);

  // The project's path: the server's streaming endpoint, as `aihub ingest readings --file` uses it.
  // Its pool connects on the first query: one request first, so its backends are there to measure.
  await fetch(`${server.url}/v1/ingest/readings?format=csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' },
    body: 'entity_id,metric,ts,value\n',
  });
  const serverCpuBefore = await cpuSeconds(server.pid);
  const backendsBefore = await backendsCpu(client);
  const project = await timed(async () => {
    const res = await fetch(`${server.url}/v1/ingest/readings?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    return (await res.json()) as { accepted: number; rejected: number; committed: boolean };
  });
  const serverCpuAfter = await cpuSeconds(server.pid);
  const backendsAfter = await backendsCpu(client);
  const stored = await client.query<{ n: string }>('SELECT count(*) AS n FROM timeseries_data');
  const serverCpu =
    serverCpuBefore === undefined || serverCpuAfter === undefined
      ? undefined
      : serverCpuAfter - serverCpuBefore;
  // The bench's own connection is among the backends; it only ran the two snapshots meanwhile.
  const pgCpu = cpuSpent(backendsBefore, backendsAfter);
  const projectRate = rows / project.seconds;
  console.log(
    `project path (HTTP stream -> parse -> validate -> binary COPY -> invalidations): ${fmt(project.seconds)} s, ` +
      `${fmt(projectRate, 0)} rows/s; server CPU ${cpuText(serverCpu)}, PostgreSQL CPU ${cpuText(pgCpu)}` +
      ` (accepted ${project.result.accepted.toLocaleString()}, rejected ${project.result.rejected}, ` +
      `stored ${Number(stored.rows[0]?.n).toLocaleString()})`,
  );

  // The second baseline starts from the same state as the first: no readings stored.
  await client.query('TRUNCATE timeseries_data, aggregate_invalidations');
  const rawAfter = await rawCopy();
  describeRaw('after', rawAfter);

  const ratios = [rawBefore, rawAfter].map((raw) => projectRate / (rows / raw.seconds));
  const worst = Math.min(...ratios);
  console.log(
    `ratio project / raw COPY (rows/s): ${fmt(worst, 3)}, the lower of ${fmt(ratios[0] as number, 3)} ` +
      `(raw before) and ${fmt(ratios[1] as number, 3)} (raw after); target >= ${TARGET}: ${worst >= TARGET ? 'met' : 'MISSED'}`,
  );
  console.log(`server peak RSS: ${fmt(await peakRssMiB(server.pid), 0)} MiB`);
  console.log(`whole run: ${fmt(Number(process.hrtime.bigint() - runStarted) / 1e9, 0)} s`);
} finally {
  await server.stop();
  await client.end();
  await dropDatabase(dbName);
  await rm(file, { force: true });
}
