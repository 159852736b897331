// bench/online: features.get of forecast_advanced through HTTP at batch 1, 10 and 100 entities, at a
// steady request rate, beside, in the same run: raw ioredis pipelined HGETALL of the same keys, and
// a plain GET /livez (the floor of any HTTP answer); at batch 1 and 100 also the same call as a
// plain HTTP GET without the typed client. Each line also gives the server's CPU time per call,
// which moves far less than latency with other load on a shared machine, and its GC pauses.
// Options: --seconds=30 per measurement, --rate=100 requests/s, --entities/--hours of the dataset.
import { onlineKey } from '@aihub/server';
import { undiciFetch } from '@aihub/server/client';
import { Redis } from 'ioredis';
import { benchServer } from '../lib/bench-server.js';
import { entityId } from '../lib/dataset.js';
import { banner, fmt, option } from '../lib/figures.js';
import { gcBetween, gcTotals } from '../lib/gc.js';
import { latencies, loadNote, steady } from '../lib/steady.js';

const seconds = option('seconds', 30);
const rate = option('rate', 100);
const entities = option('entities', 1000);
const hours = option('hours', 2000);

/** Issue 14's targets: p99 at batch 1 and 100; p50 at batch 1 within 0.5 ms of the raw read. */
const P99_TARGET: Record<number, number> = { 1: 2, 100: 5 };
const P50_OVER_RAW_TARGET = 0.5;

const { dataset, server, client, url, apiKey } = await benchServer(entities, hours, {
  AIHUB_WORKERS: 'false',
  LOG_LEVEL: 'error',
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:56379');
try {
  const m = await client.features.materialize.mutate({ featureSet: 'forecast_advanced', metric: 'kwh' });
  banner(
    `online: forecast_advanced (18 features), ${m.entities} entities materialized; ${rate} req/s for ${seconds} s per measurement; ${loadNote()}`,
  );
  const run = { seconds, rate, pid: server.pid };
  // The floor of any HTTP answer on this machine in this run: a plain GET /livez (no auth, no tRPC)
  // over the typed client's own transport.
  const floor = await steady(run, () => undiciFetch(`${url}/livez`).then((r) => r.json()));
  console.log(`plain HTTP GET /livez (floor): ${latencies(floor)}`);
  const key = { projectId: dataset.projectId, featureSet: 'forecast_advanced', version: 1, metric: 'kwh' };
  for (const batch of [1, 10, 100]) {
    const ids = (i: number) => Array.from({ length: batch }, (_, k) => entityId((i * batch + k) % entities));
    const gcBefore = await gcTotals(url);
    const api = await steady(run, async (i) => {
      const r = await client.features.get.query({
        featureSet: 'forecast_advanced',
        metric: 'kwh',
        entityIds: ids(i),
      });
      if (r.vectors.some((v) => v.source !== 'online')) throw new Error('not served online');
    });
    const gc = gcBetween(gcBefore, await gcTotals(url), api.n);
    // The same call without the typed client (tRPC link, superjson both ways): a plain GET of the
    // URL it would send and JSON.parse of the answer. What is left above the floor is the server's.
    const plain =
      batch === 10
        ? undefined
        : await steady(run, async (i) => {
            const input = JSON.stringify({
              json: { featureSet: 'forecast_advanced', metric: 'kwh', entityIds: ids(i) },
            });
            const response = await undiciFetch(
              `${url}/trpc/features.get?input=${encodeURIComponent(input)}`,
              {
                headers: { authorization: `Bearer ${apiKey}` },
              },
            );
            const body = (await response.json()) as { result?: { data: { json: { vectors: unknown[] } } } };
            if (body.result?.data.json.vectors.length !== batch)
              throw new Error(`answered ${response.status}`);
          });
    const raw = await steady({ seconds, rate }, async (i) => {
      const pipeline = redis.pipeline();
      for (const id of ids(i)) pipeline.hgetall(onlineKey(key, id));
      await pipeline.exec();
    });
    const target = P99_TARGET[batch];
    const targets =
      target === undefined
        ? ''
        : `  target p99 <= ${target} ms${batch === 1 ? `, p50 <= raw + ${P50_OVER_RAW_TARGET} ms` : ''}`;
    console.log(
      `batch ${String(batch).padStart(3)}: features.get ${latencies(api)}` +
        `  |  raw ioredis HGETALL ${latencies(raw)}` +
        `  |  p50 - raw p50 = ${fmt(api.p50 - raw.p50)} ms, p50 / floor p50 = ${fmt(api.p50 / floor.p50)}${targets}` +
        `\n    ${gc}` +
        (plain ? `\n    features.get as a plain HTTP GET (no typed client): ${latencies(plain)}` : ''),
    );
  }
  console.log(`(${loadNote()} at the end)`);
} finally {
  redis.disconnect();
  await server.stop();
}
