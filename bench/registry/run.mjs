#!/usr/bin/env node
// bench/registry: artifact registration throughput (server vs raw minio-js), the server's peak RSS,
// and models.list latency with 10,000 versions across 100 models. Prints figures; asserts nothing.
// Needs the built workspace and the services of scripts/services.sh (`eval "$(bash scripts/services.sh env)"`).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createTestDatabase } from '@aihub/db/testing';
import { createAihubClient } from '@aihub/server/client';
import { createS3Client } from '@aihub/storage';
import { deterministicBytes } from '@aihub/storage/testing';
import pg from 'pg';
import { seedVersions, spawnServer } from './support.mjs';

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_ARTIFACT_MB ?? 256) * MB;
const env = process.env;

async function vmHwmKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const database = await createTestDatabase();
const adminKey = `aihub_benchadm_${randomBytes(32).toString('base64url').slice(0, 43)}`;
const server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
try {
  const client = createAihubClient({ url: server.url, apiKey: adminKey });
  const s3 = createS3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION ?? 'us-east-1',
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
  });
  const bucket = env.S3_BUCKET_MODELS ?? 'aihub-models';
  if (!(await s3.bucketExists(bucket))) await s3.makeBucket(bucket, env.S3_REGION ?? 'us-east-1');

  console.log(`# artifact registration, ${SIZE / MB} MB, same bytes, same store, alternating runs`);
  const rss0 = await vmHwmKb(server.child.pid);
  const raw = [];
  const viaServer = [];
  for (let run = 1; run <= 2; run++) {
    let started = performance.now();
    await s3.putObject(bucket, `bench/raw-${run}`, Readable.from(deterministicBytes(SIZE, run)), SIZE);
    raw.push(SIZE / MB / ((performance.now() - started) / 1000));
    await s3.removeObject(bucket, `bench/raw-${run}`);

    started = performance.now();
    const { version, upload } = await client.models.register.mutate({
      name: 'bench-big',
      format: 'safetensors',
      sizeBytes: SIZE,
    });
    const res = await fetch(new URL(upload.path, server.url), {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}` },
      body: Readable.toWeb(Readable.from(deterministicBytes(SIZE, run))),
      duplex: 'half',
    });
    if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const ready = await client.models.get.query({ id: version.id });
    viaServer.push(SIZE / MB / ((performance.now() - started) / 1000));
    if (ready.status !== 'ready') throw new Error(`version ended ${ready.status}`);
    console.log(
      `run ${run}: raw minio-js putObject ${raw.at(-1).toFixed(1)} MB/s, register through the server ${viaServer.at(-1).toFixed(1)} MB/s`,
    );
  }
  const best = (xs) => Math.max(...xs);
  console.log(
    `throughput (best of 2): server ${best(viaServer).toFixed(1)} MB/s, raw ${best(raw).toFixed(1)} MB/s, ratio ${(best(viaServer) / best(raw)).toFixed(2)} (target >= 0.8)`,
  );
  const rss1 = await vmHwmKb(server.child.pid);
  console.log(
    `server peak RSS (VmHWM): ${(rss0 / 1024).toFixed(0)} MB before the uploads, ${(rss1 / 1024).toFixed(0)} MB after (part size ${env.S3_PART_SIZE_MB ?? 16} MiB)`,
  );

  console.log('\n# models.list with 10,000 versions across 100 models');
  const whoami = await client.auth.whoami.query();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await seedVersions(pool, whoami.project.id, 100, 100);
  const plan = await pool.query(
    `EXPLAIN ANALYZE SELECT v.id FROM model_versions v JOIN registered_models m ON m.id = v.model_id
     WHERE v.project_id = $1 AND v.status <> 'deleting' ORDER BY v.created_at DESC, v.id DESC LIMIT 51`,
    [whoami.project.id],
  );
  console.log(
    `plan: ${plan.rows
      .map((r) => r['QUERY PLAN'])
      .filter((l) => /Index|Execution/.test(l))
      .map((l) => l.trim())
      .join(' | ')}`,
  );
  await pool.end();
  const cases = {
    'default (newest 50)': {},
    'mape < 0.1, sorted by mape': {
      metrics: ['mape < 0.1'],
      sort: 'metric',
      sortMetric: 'mape',
      order: 'asc',
    },
    'name contains + stage': { nameContains: 'model-04', stage: 'staging' },
  };
  for (const [label, input] of Object.entries(cases)) {
    for (let i = 0; i < 20; i++) await client.models.list.query(input); // warm-up
    const times = [];
    for (let i = 0; i < 500; i++) {
      const started = performance.now();
      await client.models.list.query(input);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `models.list ${label}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms (500 calls over HTTP; target p99 < 20 ms)`,
    );
  }
} finally {
  await server.stop();
  await database.drop();
}
