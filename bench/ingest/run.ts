// bench/ingest: N readings (default 5M) from one CSV file, through the project's path (the real
// server's streaming HTTP endpoint: parse, validate, COPY to staging, upsert, invalidate) beside a
// raw COPY of the same file into a plain table with the same primary key, in the same run.
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
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
  await client.query(`CREATE TABLE raw_readings (
    project_id uuid NOT NULL DEFAULT '${projectId}', entity_id text NOT NULL, metric text NOT NULL,
    ts timestamptz(3) NOT NULL, value float8 NOT NULL, PRIMARY KEY (project_id, entity_id, metric, ts))`);
  const raw = await timed(() =>
    pipeline(
      createReadStream(file),
      client.query(
        copyFrom('COPY raw_readings (entity_id, metric, ts, value) FROM STDIN (FORMAT csv, HEADER true)'),
      ),
    ),
  );
  await client.query('DROP TABLE raw_readings');

  // The project's path: the server's streaming endpoint, as `aihub ingest readings --file` uses it.
  const project = await timed(async () => {
    const res = await fetch(`${server.url}/v1/ingest/readings?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    return (await res.json()) as { accepted: number; rejected: number; committed: boolean };
  });
  const stored = await client.query<{ n: string }>('SELECT count(*) AS n FROM timeseries_data');

  const rawRate = rows / raw.seconds;
  const projectRate = rows / project.seconds;
  console.log(`raw COPY into a plain table (same PK): ${fmt(raw.seconds)} s, ${fmt(rawRate, 0)} rows/s`);
  console.log(
    `project path (HTTP stream -> parse -> validate -> COPY staging -> upsert): ${fmt(project.seconds)} s, ${fmt(projectRate, 0)} rows/s` +
      ` (accepted ${project.result.accepted.toLocaleString()}, rejected ${project.result.rejected}, stored ${Number(stored.rows[0]?.n).toLocaleString()})`,
  );
  console.log(`ratio project / raw: ${fmt(projectRate / rawRate, 3)}  (target >= 0.7)`);
  console.log(`server peak RSS: ${fmt(await peakRssMiB(server.pid), 0)} MiB`);
} finally {
  await server.stop();
  await client.end();
  await dropDatabase(dbName);
  await rm(file, { force: true });
}
