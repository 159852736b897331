// bench/online: features.get of forecast_advanced through HTTP at batch 1, 10 and 100 entities, at a
// steady request rate, beside raw ioredis pipelined HGETALL of the same keys in the same run.
// Options: --seconds=30 per batch size, --rate=100 requests/s, --entities/--hours of the dataset.
import { onlineKey } from '@aihub/server';
import { undiciFetch } from '@aihub/server/client';
import { Redis } from 'ioredis';
import { benchServer } from '../lib/bench-server.js';
import { entityId } from '../lib/dataset.js';
import { banner, fmt, option, percentile } from '../lib/figures.js';

const seconds = option('seconds', 30);
const rate = option('rate', 100);
const entities = option('entities', 1000);
const hours = option('hours', 2000);

/** Runs `call` at `rate` per second for `seconds` (open loop: late answers do not slow the schedule). */
async function steady(call: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    pending.push(
      call(i).then(
        () => void latencies.push(performance.now() - t0),
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, n: total };
}

const { dataset, server, client, url } = await benchServer(entities, hours, {
  AIHUB_WORKERS: 'false',
  LOG_LEVEL: 'error',
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:56379');
try {
  const m = await client.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' });
  banner(
    `online: forecast_advanced (18 features), ${m.entities} entities materialized; ${rate} req/s for ${seconds} s per batch size`,
  );
  // The floor of any HTTP answer on this machine in this run: a plain GET /livez (no auth, no tRPC)
  // over the typed client's own transport.
  const floor = await steady(() => undiciFetch(`${url}/livez`).then((r) => r.json()));
  console.log(
    `plain HTTP GET /livez (floor): p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms, errors ${floor.errors}/${floor.n}`,
  );
  const key = { projectId: dataset.projectId, featureSet: 'forecast_advanced', version: 1, metric: 'kwh' };
  for (const batch of [1, 10, 100]) {
    const ids = (i: number) => Array.from({ length: batch }, (_, k) => entityId((i * batch + k) % entities));
    const api = await steady(async (i) => {
      const r = await client.features.get.query({
        featureSet: 'forecast_advanced',
        metric: 'kwh',
        entityIds: ids(i),
      });
      if (r.vectors.some((v) => v.source !== 'online')) throw new Error('not served online');
    });
    const raw = await steady(async (i) => {
      const pipeline = redis.pipeline();
      for (const id of ids(i)) pipeline.hgetall(onlineKey(key, id));
      await pipeline.exec();
    });
    console.log(
      `batch ${String(batch).padStart(3)}: features.get p50 ${fmt(api.p50)} ms, p99 ${fmt(api.p99)} ms, errors ${api.errors}/${api.n}` +
        `  |  raw ioredis HGETALL p50 ${fmt(raw.p50)} ms, p99 ${fmt(raw.p99)} ms` +
        `  (targets p99 <= ${batch === 100 ? 10 : batch === 1 ? 2 : '-'} ms)`,
    );
  }
} finally {
  redis.disconnect();
  await server.stop();
}
