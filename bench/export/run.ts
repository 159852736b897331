// bench/export: a 1M-row export end to end (request -> Parquet object in S3) in rows/s, beside the
// same rows encoded by @dsnp/parquetjs from memory to a null sink in the same run (ratio, target
// >= 0.8), and the export's per-feature statistics (t-digest) over the same rows beside that encoding;
// then the server's peak RSS during a 5M-row export (target < 300 MiB), in a fresh process, beside
// its peak before the export.
// Options: --entities=1000 --rows-hours=1000 (1M), --rss-hours=5000 (5M), --hours (dataset, default
// 168 + the larger of the two), --set=forecast_basic.
import { Writable } from 'node:stream';
import {
  type FeatureColumns,
  type FeatureRow,
  PREDEFINED_FEATURE_SETS,
  unpackFeatureColumns,
} from '@aihub/core';
import { PgFeatureStore } from '@aihub/db';
import { ExportStatisticsAccumulator, openExportWriter } from '@aihub/server';
import pg from 'pg';
import { benchServer } from '../lib/bench-server.js';
import { DATASET_START, entityId, HOUR_MS } from '../lib/dataset.js';
import { banner, fmt, option, timed } from '../lib/figures.js';
import { peakRssMiB } from '../lib/server.js';

const entities = option('entities', 1000);
const exportHours = option('rows-hours', 1000);
const rssHours = option('rss-hours', 5000);
// The data covers every exported hour (the first 168 hours are the features' warm-up): an hour
// past the readings would be an empty, cheap row and flatter the figures.
const hours = option('hours', 168 + Math.max(exportHours, rssHours));
const featureSet = process.argv.find((a) => a.startsWith('--set='))?.slice(6) ?? 'forecast_basic';
const features = PREDEFINED_FEATURE_SETS[featureSet] as readonly string[];

type Client = Awaited<ReturnType<typeof benchServer>>['client'];
async function exportAndWait(client: Client, hoursCount: number) {
  const started = await client.features.export.mutate({
    featureSet,
    metric: 'kwh',
    range: {
      start: new Date(DATASET_START + 168 * HOUR_MS),
      end: new Date(DATASET_START + (168 + hoursCount) * HOUR_MS),
    },
  });
  for (;;) {
    const e = await client.features.exportGet.query({ id: started.id });
    if (e.status === 'succeeded') return e;
    if (e.status !== 'queued' && e.status !== 'running') throw new Error(`export ${e.status}: ${e.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const first = await benchServer(entities, hours, { LOG_LEVEL: 'error' });
let rows = 0;
try {
  banner(`export: ${featureSet} (${features.length} features), ${entities} entities x ${exportHours} hours`);
  const run = await timed(() => exportAndWait(first.client, exportHours));
  rows = run.result.rowsWritten;
  // The same rows, read first (timed apart: the read alone, what the export's PostgreSQL side
  // costs), then only the parquetjs encoding of the row objects is timed.
  const pool = new pg.Pool({ connectionString: first.dataset.url, max: 2 });
  const columns: FeatureColumns[] = [];
  const read = await timed(async () => {
    for await (const batch of new PgFeatureStore(pool).streamRange({
      projectId: first.dataset.projectId,
      metric: 'kwh',
      features,
      entityIds: Array.from({ length: entities }, (_, i) => entityId(i)),
      start: new Date(DATASET_START + 168 * HOUR_MS),
      end: new Date(DATASET_START + (168 + exportHours) * HOUR_MS),
    }))
      columns.push(batch);
  });
  await pool.end();
  const all: FeatureRow[][] = columns.map((batch) => unpackFeatureColumns(batch, features.length));
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const encode = await timed(async () => {
    const writer = await openExportWriter(sink, features, false);
    for (const batch of all) await writer.append(batch);
    await writer.close();
  });
  // The statistics the encoder thread gathers besides encoding, on the same column-wise batches.
  const statistics = await timed(async () => {
    const accumulator = new ExportStatisticsAccumulator(features);
    for (const b of columns) accumulator.addBatch(b.entityIds.length, b.values, b.nulls);
    accumulator.result();
  });
  const endToEnd = rows / run.seconds;
  const rawRate = rows / encode.seconds;
  console.log(
    `end to end: ${rows.toLocaleString()} rows in ${fmt(run.seconds)} s = ${fmt(endToEnd, 0)} rows/s, ${fmt((run.result.bytes ?? 0) / 2 ** 20)} MiB`,
  );
  const { createdAt, startedAt, finishedAt } = run.result;
  if (startedAt && finishedAt) {
    console.log(
      `  of which queued ${fmt((startedAt.getTime() - createdAt.getTime()) / 1000)} s, running ${fmt((finishedAt.getTime() - startedAt.getTime()) / 1000)} s`,
    );
  }
  console.log(
    `  the same rows read alone (PostgreSQL, 2 connections, not encoded): ${fmt(read.seconds)} s = ${fmt(rows / read.seconds, 0)} rows/s`,
  );
  console.log(`parquetjs from memory to a null sink: ${fmt(encode.seconds)} s = ${fmt(rawRate, 0)} rows/s`);
  console.log(`ratio: ${fmt(endToEnd / rawRate)}  (target >= 0.8)`);
  console.log(
    `statistics of the same rows (count, mean, std, min, max, t-digest quantiles): ${fmt(statistics.seconds)} s = ${fmt((100 * statistics.seconds) / encode.seconds, 0)} % of the encoding`,
  );
} finally {
  await first.server.stop();
}

// A fresh process, so its peak RSS is that of the big export (plus start-up).
const second = await benchServer(entities, hours, { LOG_LEVEL: 'error' });
try {
  // The baseline: the same process's peak before the export (start-up, the key request).
  const idle = await peakRssMiB(second.server.pid);
  const run = await timed(() => exportAndWait(second.client, rssHours));
  const peak = await peakRssMiB(second.server.pid);
  console.log(
    `peak RSS of the server: ${fmt(peak, 0)} MiB during a ${run.result.rowsWritten.toLocaleString()}-row export (${fmt(run.seconds)} s, ${fmt(run.result.rowsWritten / run.seconds, 0)} rows/s)  (target < 300 MiB)`,
  );
  console.log(
    `  peak before the export (idle server): ${fmt(idle, 0)} MiB; the export's part: ${fmt(peak - idle, 0)} MiB`,
  );
} finally {
  await second.server.stop();
}
