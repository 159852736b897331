// bench/offline: point-in-time retrieval of forecast_advanced for N spine rows (default 100k) over
// the E x H dataset (default 1000 x 8760 readings), beside its peer: DuckDB (2 threads) computing
// the same vectors from the same raw readings and weather (exported from PostgreSQL once, not
// timed). Prints both times, the project's as a multiple of DuckDB's (target <= 3x), and whether
// every vector agrees within the spec's tolerance (1e-9 relative; 1e-6 for standard deviations).
// Each side runs --repeats times (default 2), alternating; the best run of each is compared.
import { readFile } from 'node:fs/promises';
import { PREDEFINED_FEATURE_SETS } from '@aihub/core';
import { createDb, PgFeatureStore, refreshAggregates } from '@aihub/db';
import {
  DATASET_START,
  ensureDataset,
  entityId,
  HOUR_MS,
  invalidateEverything,
  markRefreshed,
} from '../lib/dataset.js';
import { banner, fmt, option, timed } from '../lib/figures.js';
import { openDuckPeer } from './duckdb-peer.js';

const entities = option('entities', 1000);
const hours = option('hours', 8760);
const spineRows = option('rows', 100_000);
const repeats = option('repeats', 2);
const TARGET_RATIO = 3;

/*
 * CPU seconds beside wall seconds: the machine is shared, and under load a wall time says more
 * about the neighbours than about the query. The project's CPU is this process's (parsing rows)
 * plus its PostgreSQL backends' (from /proc: only when the server runs on this machine); DuckDB's
 * is this process's (its threads run in it).
 */
const CLOCK_TICK = 0.01; // Linux's USER_HZ: /proc's times are in 1/100 s
async function backendSeconds(pids: readonly number[]): Promise<number | null> {
  try {
    let ticks = 0;
    for (const pid of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    }
    return ticks * CLOCK_TICK;
  } catch {
    return null;
  }
}
async function cpuTimed<T>(
  pids: readonly number[],
  fn: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: number | null; server: number | null }> {
  const own = process.cpuUsage();
  const before = await backendSeconds(pids);
  const run = await timed(fn);
  const after = await backendSeconds(pids);
  const used = process.cpuUsage(own);
  const mine = (used.user + used.system) / 1e6;
  const server = before === null || after === null ? null : after - before;
  return { ...run, cpu: server === null ? null : mine + server, server };
}
const dataset = await ensureDataset(entities, hours);
// The server's pool (createDb: its connection settings, e.g. JIT off), two connections.
const db = createDb({ url: dataset.url, poolMax: 2, applicationName: 'bench-offline' });
const pool = db.pool;
// Idle connections are kept (pg-pool reads this option at each release), so that the backends
// whose CPU time is read below live through the whole run.
pool.options.idleTimeoutMillis = 0;
try {
  if (!dataset.refreshed) {
    console.log('aggregates not built yet: a full refresh first (not timed; bench/refresh times it)...');
    await invalidateEverything(pool);
    await refreshAggregates(pool);
    await markRefreshed(dataset.url);
    await pool.query('VACUUM ANALYZE');
  }
  // A seeded spine: random entity, random time within the year (after the first week, so every
  // window has history), at a random minute of its hour.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const spine = Array.from({ length: spineRows }, () => ({
    entityId: entityId(Math.floor(random() * entities)),
    asOf: new Date(
      DATASET_START + (168 + Math.floor(random() * (hours - 168))) * HOUR_MS + Math.floor(random() * HOUR_MS),
    ),
  }));
  const features = PREDEFINED_FEATURE_SETS.forecast_advanced as readonly string[];
  const store = new PgFeatureStore(pool);
  const peer = await openDuckPeer({
    pool,
    datasetName: `aihub_bench_${entities}x${hours}`,
    projectId: dataset.projectId,
    metric: 'kwh',
    threads: 2,
  });
  try {
    await peer.loadSpine(spine);
    banner(
      `offline: forecast_advanced (${features.length} features) for ${spineRows.toLocaleString()} spine rows over ${(entities * hours).toLocaleString()} readings`,
    );
    // Warm-ups (not timed): the project on a slice, DuckDB once in full (its first run reads the
    // file's columns into its buffer pool), so both are timed with warm caches.
    await store.retrieveOffline({
      projectId: dataset.projectId,
      metric: 'kwh',
      features,
      spine: spine.slice(0, 1000),
    });
    const { columns } = await peer.vectors();
    if (columns.join() !== features.join()) {
      throw new Error(`the DuckDB peer computes ${columns.join()}, not ${features.join()}`);
    }
    // The pool's two backends: both connected now, and kept (see idleTimeoutMillis above).
    await Promise.all([pool.query('SELECT pg_sleep(0.1)'), pool.query('SELECT pg_sleep(0.1)')]);
    const backends = (
      await pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-offline' AND datname = current_database()`,
      )
    ).rows.map((r) => r.pid);
    const ours: number[] = [];
    const theirs: number[] = [];
    const oursCpu: (number | null)[] = [];
    const theirsCpu: number[] = [];
    let projectRows: Awaited<ReturnType<PgFeatureStore['retrieveOffline']>> = [];
    let peerRows: (number | null)[][] = [];
    for (let i = 0; i < repeats; i++) {
      const run = await cpuTimed(backends, () =>
        store.retrieveOffline({ projectId: dataset.projectId, metric: 'kwh', features, spine }),
      );
      ours.push(run.seconds);
      oursCpu.push(run.cpu);
      projectRows = run.result;
      const duck = await cpuTimed([], () => peer.vectors());
      theirs.push(duck.seconds);
      theirsCpu.push(duck.cpu ?? 0);
      peerRows = duck.result.rows;
      console.log(
        `run ${i + 1}: project ${fmt(run.seconds)} s (CPU ${run.cpu === null || run.server === null ? 'n/a' : `${fmt(run.cpu)} s, of which PostgreSQL ${fmt(run.server)}`} s), DuckDB ${fmt(duck.seconds)} s (CPU ${fmt(duck.cpu ?? 0)} s)`,
      );
    }
    const best = Math.min(...ours);
    const bestPeer = Math.min(...theirs);

    // Agreement: every value of every row, nulls exactly, numbers within the spec's tolerance.
    let compared = 0;
    let mismatches = 0;
    let worst = 0;
    let worstStd = 0;
    const examples: string[] = [];
    for (let r = 0; r < spine.length; r++) {
      const a = projectRows[r]?.values ?? [];
      const b = peerRows[r] ?? [];
      for (let c = 0; c < features.length; c++) {
        const x = a[c] ?? null;
        const y = b[c] ?? null;
        compared++;
        const isStd = (features[c] as string).endsWith('_std');
        let ok: boolean;
        if (x === null || y === null) ok = x === y;
        else {
          const rel = Math.abs(x - y) / Math.max(1, Math.abs(y));
          if (isStd) worstStd = Math.max(worstStd, rel);
          else worst = Math.max(worst, rel);
          ok = rel <= (isStd ? 1e-6 : 1e-9);
        }
        if (!ok) {
          mismatches++;
          if (examples.length < 5) examples.push(`row ${r} ${features[c]}: project ${x}, DuckDB ${y}`);
        }
      }
    }
    const nonNull = projectRows.filter((row) => row.values[0] !== null).length;
    console.log(
      `project (PostgreSQL): ${fmt(best)} s, ${fmt(spineRows / best, 0)} rows/s  (best of ${repeats}: ${ours.map((s) => fmt(s)).join(', ')})`,
    );
    console.log(
      `baseline (DuckDB, 2 threads, from raw readings): ${fmt(bestPeer)} s  (best of ${repeats}: ${theirs.map((s) => fmt(s)).join(', ')})`,
    );
    console.log(`ratio project / DuckDB: ${fmt(best / bestPeer)}x  (target <= ${TARGET_RATIO}x)`);
    const cpus = oursCpu.filter((c): c is number => c !== null);
    if (cpus.length > 0) {
      console.log(
        `CPU seconds (less sensitive to other load): project ${fmt(Math.min(...cpus))}, DuckDB ${fmt(Math.min(...theirsCpu))}, ratio ${fmt(Math.min(...cpus) / Math.min(...theirsCpu))}x`,
      );
    }
    console.log(
      `agreement: ${mismatches === 0 ? 'all' : `${mismatches.toLocaleString()} of`} ${compared.toLocaleString()} values agree` +
        ` (max relative difference ${worst.toExponential(1)}, std ${worstStd.toExponential(1)}; tolerance 1e-9, std 1e-6)`,
    );
    for (const example of examples) console.log(`  mismatch: ${example}`);
    console.log(
      `rows returned: ${projectRows.length.toLocaleString()} (lag_1h present in ${nonNull.toLocaleString()})`,
    );
    if (mismatches > 0) process.exitCode = 1;
  } finally {
    peer.close();
  }
} finally {
  await db.close();
}
