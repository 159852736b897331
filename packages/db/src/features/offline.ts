import {
  allocateFeatureColumns,
  DomainError,
  type FeatureColumns,
  type FeatureRow,
  type OfflineRequest,
  parseFeature,
  type RangeRequest,
  truncateFeatureColumns,
  wholeHourBounds,
  wholeHoursIn,
} from '@aihub/core';
import pg from 'pg';
import { connectOrThrow, translateDbError } from '../errors.js';
import { offlineFeaturesSql } from '../sql/offline-features.js';

/** A result row in array mode: entity_id, as_of_ms, f0…fN-1, then the label when asked. */
type FeatureQueryRow = [string, number, ...(number | null)[]];

// Rows come back as arrays (pg's rowMode 'array'): no per-row object with named keys to build.
function toFeatureRow(row: FeatureQueryRow, width: number, includeLabel: boolean): FeatureRow {
  const out: FeatureRow = {
    entityId: row[0],
    asOf: new Date(row[1]),
    values: row.slice(2, 2 + width) as (number | null)[],
  };
  if (includeLabel) out.label = (row[2 + width] as number | null | undefined) ?? null;
  return out;
}

// PostgreSQL runs one query on one core; a large spine is split so two connections share it.
const PARALLEL_MIN_ROWS = 20_000;
const PARALLEL_PARTS = 2;

/**
 * Point-in-time feature vectors for an explicit spine, in spine order. Bounded: for interactive use.
 *
 * The query probes the aggregates in (entity, as_of) order (see spineSql), so consecutive probes
 * read neighbouring index and heap pages, mostly already in shared buffers; a random spine probed
 * in its own order reads most pages from the OS again (about a third of the CPU time at 100k rows
 * over a year of 1000 entities). For the same reason a large spine is split between the two
 * connections by entity (sorted, then cut in halves) rather than by position: each backend then
 * reads its own half of the entities' pages.
 */
export async function retrieveOfflineFeatures(pool: pg.Pool, request: OfflineRequest): Promise<FeatureRow[]> {
  const specs = request.features.map(parseFeature);
  if (request.spine.length === 0) return [];
  const includeLabel = request.includeLabel ?? false;
  const sql = offlineFeaturesSql(specs, { kind: 'explicit' }, includeLabel);
  const run = async (spine: OfflineRequest['spine']) => {
    const result = await pool.query<FeatureQueryRow>({
      text: sql,
      values: [request.projectId, request.metric, spine.map((s) => s.entityId), spine.map((s) => s.asOf)],
      rowMode: 'array',
    });
    return result.rows.map((row) => toFeatureRow(row, specs.length, includeLabel));
  };
  try {
    if (request.spine.length < PARALLEL_MIN_ROWS) return await run(request.spine);
    const spine = request.spine;
    const order = spine.map((_, i) => i);
    const times = spine.map((s) => s.asOf.getTime());
    order.sort((a, b) => {
      const x = (spine[a] as (typeof spine)[number]).entityId;
      const y = (spine[b] as (typeof spine)[number]).entityId;
      return x < y ? -1 : x > y ? 1 : (times[a] as number) - (times[b] as number);
    });
    const size = Math.ceil(order.length / PARALLEL_PARTS);
    const parts = Array.from({ length: PARALLEL_PARTS }, (_, i) => order.slice(i * size, (i + 1) * size));
    const results = await Promise.all(
      parts.map((part) => run(part.map((i) => spine[i] as (typeof spine)[number]))),
    );
    const out = new Array<FeatureRow>(spine.length);
    parts.forEach((part, p) => {
      const rows = results[p] as FeatureRow[];
      part.forEach((index, k) => {
        out[index] = rows[k] as FeatureRow;
      });
    });
    return out;
  } catch (error) {
    translateDbError(error);
  }
}

// A range is read in slices of about this many rows (see streamRangeFeatures)...
const RANGE_SLICE_ROWS = 10_000;
// ...this many at a time, each on its own connection.
const RANGE_PARALLEL_SLICES = 2;

interface RangeSlice {
  entityIds: readonly string[];
  hours: readonly Date[];
}

/**
 * The range in slices of at most `sliceRows` rows, entity by entity (in the request's order), each
 * entity's hours together: whole entities per slice, or runs of one entity's hours when it alone
 * has more than a slice.
 */
export function* rangeSlices(
  entityIds: readonly string[],
  hours: readonly Date[],
  sliceRows: number,
): Generator<RangeSlice> {
  if (hours.length === 0) return;
  if (hours.length >= sliceRows) {
    for (const id of entityIds) {
      for (let h = 0; h < hours.length; h += sliceRows) {
        yield { entityIds: [id], hours: hours.slice(h, h + sliceRows) };
      }
    }
    return;
  }
  const perSlice = Math.max(1, Math.floor(sliceRows / hours.length));
  for (let i = 0; i < entityIds.length; i += perSlice) {
    yield { entityIds: entityIds.slice(i, i + perSlice), hours };
  }
}

/** A pool connection reading slices inside a read-only transaction of the export's snapshot. */
interface SliceConnection {
  client: pg.PoolClient;
  broken?: Error;
  busy: boolean;
  onError: (error: Error) => void;
}

/**
 * Streams the vectors of every entity x every whole hour in [start, end), a slice at a time, so
 * an export never holds its result in memory. The range is cut into slices of whole entities
 * (rangeSlices), each read by one plain query; RANGE_PARALLEL_SLICES slices are read at once on
 * their own connections and yielded in slice order (rows within a slice in PostgreSQL's order;
 * a range export's row order is not specified). Why: PostgreSQL runs one query on one core, and
 * the query is what limits an export (bench/export: the server's threads are idle ~90 % of an
 * export read through one cursor), so two queries use both cores. And per slice, an entity's hours
 * are looked up together: one query over 1,000 entities x 100 hours visits the hours in its outer
 * loop and all entities inside, at half the rows/s of a slice's query (EXPLAIN ANALYZE).
 *
 * Rows come column-wise (FeatureColumns), packed as PostgreSQL sends them.
 *
 * The connections share one snapshot (pg_export_snapshot, as pg_dump's parallel workers do), so
 * the export is as consistent as the single query it replaces. JIT is off for them (as for the
 * server's pool, client.ts; also for a pool without it): compiling the query took 0.9 s for index
 * lookups that gain nothing from it. Memory: at most
 * RANGE_PARALLEL_SLICES slices being read plus the one yielded.
 */
export async function* streamRangeFeatures(
  pool: pg.Pool,
  request: RangeRequest,
  options: { sliceRows?: number; parallel?: number } = {},
): AsyncGenerator<FeatureColumns> {
  const specs = request.features.map(parseFeature);
  if (!wholeHourBounds(request.start, request.end) || request.entityIds.length === 0) return;
  const includeLabel = request.includeLabel ?? false;
  const sql = offlineFeaturesSql(specs, { kind: 'range' }, includeLabel);
  const slices = rangeSlices(
    request.entityIds,
    wholeHoursIn(request.start, request.end),
    options.sliceRows ?? RANGE_SLICE_ROWS,
  );
  const parallel = Math.max(1, options.parallel ?? RANGE_PARALLEL_SLICES);
  // Connections are taken as slices need them, one query at a time each: the first always (it
  // exports the snapshot), more (up to `parallel`) only while the pool has room at that moment, so
  // concurrent exports never wait on each other's second connection.
  const opened: Promise<SliceConnection>[] = [];
  const connections: SliceConnection[] = [];
  const free: SliceConnection[] = [];
  const waiting: { resolve: (c: SliceConnection) => void; reject: (error: Error) => void }[] = [];
  let snapshot = '';

  const open = async (k: number): Promise<SliceConnection> => {
    // The first connection exports the snapshot the others import.
    if (k > 0) await opened[0];
    const client = await connectOrThrow(pool);
    // A checked-out client's connection errors (server terminated, network cut) are emitted on
    // the client: without a listener they would crash the process. A broken client is discarded.
    const c: SliceConnection = {
      client,
      busy: true,
      onError: (error) => {
        c.broken ??= error;
      },
    };
    client.on('error', c.onError);
    connections.push(c);
    if (k === 0) {
      const results = (await client.query(
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off; SELECT pg_export_snapshot() AS id',
      )) as unknown as pg.QueryResult<{ id: string }>[];
      snapshot = String(results[2]?.rows[0]?.id);
    } else {
      await client.query(
        `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${client.escapeLiteral(snapshot)}; SET LOCAL jit = off`,
      );
    }
    c.busy = false;
    return c;
  };
  // A connection given back while another was still opening sits in `free`: take it first, or a
  // slice whose extra connection failed to open would wait for a give-back that never comes.
  const waitForFree = (): Promise<SliceConnection> => {
    const idle = free.pop();
    if (idle) return Promise.resolve(idle);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const acquire = (): Promise<SliceConnection> => {
    const idle = free.pop();
    if (idle) return Promise.resolve(idle);
    const max = pool.options.max ?? 10;
    const room = pool.idleCount > 0 || pool.totalCount < max;
    if (opened.length === 0 || (opened.length < parallel && room)) {
      const k = opened.length;
      const opening = open(k);
      opened.push(opening);
      // Another connection is an optimization: if it cannot be had, the ones there are read on.
      return k === 0 ? opening : opening.catch(waitForFree);
    }
    return waitForFree();
  };
  const giveBack = (c: SliceConnection) => {
    const next = waiting.shift();
    if (next) next.resolve(c);
    else free.push(c);
  };
  const width = specs.length;
  const read = async (slice: RangeSlice): Promise<FeatureColumns> => {
    const c = await acquire();
    c.busy = true;
    try {
      // Each row goes into the slice's typed arrays as it is parsed (pg's 'row' event, rows not
      // accumulated): no object per row outlives its parse, so the heap stays small and young.
      const columns = allocateFeatureColumns(
        slice.entityIds.length * slice.hours.length,
        width,
        includeLabel,
      );
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        const config: pg.QueryArrayConfig = {
          text: sql,
          values: [request.projectId, request.metric, slice.entityIds, slice.hours],
          rowMode: 'array',
        };
        const query = new pg.Query(config);
        query.on('row', (row: FeatureQueryRow) => {
          if (count === columns.entityIds.length) {
            reject(new Error('the range query returned more rows than its slice has'));
            return;
          }
          const id = row[0];
          // Consecutive rows of one entity share its string (the parsed copy is garbage at once).
          const previous = count > 0 ? columns.entityIds[count - 1] : undefined;
          columns.entityIds[count] = previous === id ? previous : id;
          columns.asOf[count] = row[1];
          const base = count * width;
          for (let f = 0; f < width; f++) {
            const value = row[2 + f] as number | null;
            if (value !== null && value !== undefined) {
              columns.values[base + f] = value;
              columns.nulls[base + f] = 0;
            }
          }
          if (columns.labels && columns.labelNulls) {
            const label = row[2 + width] as number | null | undefined;
            if (label !== null && label !== undefined) {
              columns.labels[count] = label;
              columns.labelNulls[count] = 0;
            }
          }
          count++;
        });
        query.on('error', reject);
        query.on('end', () => resolve());
        c.client.query(query);
      });
      return truncateFeatureColumns(columns, count, width);
    } catch (error) {
      c.broken ??= error instanceof Error ? error : new Error(String(error));
      // A broken connection is never given back, and its error ends the whole read: slices waiting
      // for a connection end with it instead of waiting forever.
      for (const w of waiting.splice(0)) w.reject(c.broken);
      throw error;
    } finally {
      c.busy = false;
      // A broken connection is not read on again (its error ends the whole read).
      if (!c.broken) giveBack(c);
    }
  };

  const pending: Promise<FeatureColumns>[] = [];
  const refill = () => {
    while (pending.length < parallel) {
      const next = slices.next();
      if (next.done) return;
      const reading = read(next.value);
      // Settled later (or abandoned when the export stops): never an unhandled rejection.
      reading.catch(() => undefined);
      pending.push(reading);
    }
  };
  let failed = false;
  try {
    refill();
    for (;;) {
      const reading = pending.shift();
      if (!reading) break;
      const columns = await reading;
      refill();
      if (columns.entityIds.length > 0) yield columns;
    }
  } catch (error) {
    failed = true;
    translateDbError(error);
  } finally {
    // A connection still reading (the export stopped early) or broken is destroyed rather than
    // waited for: release with an error closes it, and PostgreSQL ends the backend's query.
    await Promise.allSettled(opened);
    await Promise.all(
      connections.map(async (c) => {
        c.client.off('error', c.onError);
        if (!c.busy && !c.broken && !failed) {
          try {
            await c.client.query('COMMIT');
            c.client.release();
            return;
          } catch (error) {
            c.broken ??= error instanceof Error ? error : new Error(String(error));
          }
        }
        c.client.release(c.broken ?? new Error('range read stopped before its end'));
      }),
    );
  }
}

export function assertSpineSize(size: number, max: number): void {
  if (size > max) {
    throw DomainError.badRequest(
      `spine: at most ${max} rows per request (got ${size}); use an export for more`,
      {
        spine: [`at most ${max} rows`],
      },
    );
  }
}
