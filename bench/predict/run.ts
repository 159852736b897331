// bench/predict: predictions.predict of a tree ensemble over forecast_advanced (100 trees of depth 6,
// written by tests/models/make-test-models.py) through HTTP at batch 1 and 100 entities, at a steady
// request rate, beside, in the same run: raw InferenceSession.run of the same model on the same
// inputs in this process, and the raw online read (ioredis pipelined HGETALL of the same keys); and
// features.get of the same entities through HTTP, the served path predict adds its model run to.
// Options: --seconds=30 per measurement, --rate=100 requests/s, --entities/--hours of the dataset.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onlineKey } from '@aihub/server';
import { Redis } from 'ioredis';
import * as ort from 'onnxruntime-node';
import { benchServer } from '../lib/bench-server.js';
import { entityId } from '../lib/dataset.js';
import { banner, option } from '../lib/figures.js';
import { gcBetween, gcTotals } from '../lib/gc.js';
import { latencies, loadNote, steady } from '../lib/steady.js';

const seconds = option('seconds', 30);
const rate = option('rate', 100);
const entities = option('entities', 1000);
const hours = option('hours', 2000);

const models = fileURLToPath(new URL('../../tests/models/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'aihub-bench-models-'));
execFileSync('/usr/bin/python3', [join(models, 'make-test-models.py'), out], { stdio: 'pipe' });
const bytes = readFileSync(join(out, 'trees_forecast_advanced.onnx'));

const { dataset, server, client, url, apiKey } = await benchServer(entities, hours, {
  AIHUB_WORKERS: 'false',
  LOG_LEVEL: 'error',
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:56379');
try {
  const m = await client.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' });
  const { version, upload } = await client.models.register.mutate({
    name: 'bench-trees',
    format: 'onnx',
    lineage: { featureSet: 'forecast_advanced', featureSetVersion: 1, targetMetric: 'kwh' },
  });
  const put = await fetch(new URL(upload.path, url), {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}` },
    body: bytes,
  });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  await client.models.promote.mutate({ id: version.id, to: 'production' });
  banner(
    `predict: trees over forecast_advanced (18 features, 100 trees of depth 6, ${bytes.length} bytes), ` +
      `${m.entities} entities online; ${rate} req/s for ${seconds} s per measurement; ${loadNote()}`,
  );
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const run = { seconds, rate, pid: server.pid };
  const key = { projectId: dataset.projectId, featureSet: 'forecast_advanced', version: 1, metric: 'kwh' };
  for (const batch of [1, 100]) {
    const ids = (i: number) => Array.from({ length: batch }, (_, k) => entityId((i * batch + k) % entities));
    const gcBefore = await gcTotals(url);
    const api = await steady(run, async (i) => {
      const r = await client.predictions.predict.query({
        model: 'bench-trees@production',
        entityIds: ids(i),
      });
      if (r.predictions.some((p) => p.source !== 'online' || p.prediction === null)) {
        throw new Error('not served online, or no prediction');
      }
    });
    const gc = gcBetween(gcBefore, await gcTotals(url), api.n);
    // The same inputs the server ran: the vectors of the first 50 requests' entities.
    const inputs: Float32Array[] = [];
    for (let i = 0; i < 50; i++) {
      const got = await client.features.get.query({
        featureSet: 'forecast_advanced',
        metric: 'kwh',
        entityIds: ids(i),
      });
      inputs.push(Float32Array.from(got.vectors.flatMap((v) => v.values.map((x) => x ?? Number.NaN))));
    }
    const raw = await steady({ seconds, rate }, async (i) => {
      const data = inputs[i % inputs.length] as Float32Array;
      await session.run({ features: new ort.Tensor('float32', data, [batch, 18]) });
    });
    const get = await steady(run, async (i) => {
      const r = await client.features.get.query({
        featureSet: 'forecast_advanced',
        metric: 'kwh',
        entityIds: ids(i),
      });
      if (r.vectors.some((v) => v.source !== 'online')) throw new Error('not served online');
    });
    const read = await steady({ seconds, rate }, async (i) => {
      const pipeline = redis.pipeline();
      for (const id of ids(i)) pipeline.hgetall(onlineKey(key, id));
      await pipeline.exec();
    });
    console.log(
      `batch ${String(batch).padStart(3)}: predictions.predict ${latencies(api)}  (target p99 <= ${batch === 1 ? 3 : 15} ms)` +
        `\n    ${gc}` +
        `\n    raw InferenceSession.run ${latencies(raw)}` +
        `\n    raw online read (ioredis HGETALL) ${latencies(read)}` +
        `\n    features.get (HTTP) ${latencies(get)}`,
    );
  }
  console.log(`(${loadNote()} at the end)`);
  await session.release();
} finally {
  redis.disconnect();
  await server.stop();
}
