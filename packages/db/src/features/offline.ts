import {
  DomainError,
  type FeatureRow,
  type OfflineRequest,
  parseFeature,
  type RangeRequest,
  wholeHourBounds,
  wholeHoursIn,
} from '@aihub/core';
import type pg from 'pg';
import Cursor from 'pg-cursor';
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

/**
 * Streams the vectors of every entity x every whole hour in [start, end) through a server-side
 * cursor, `batchSize` rows at a time, so an export never holds its result in memory. Holds one
 * pool connection until the iteration ends (or is abandoned).
 */
export async function* streamRangeFeatures(
  pool: pg.Pool,
  request: RangeRequest,
  batchSize = 5_000,
): AsyncGenerator<FeatureRow[]> {
  const specs = request.features.map(parseFeature);
  const hours = wholeHourBounds(request.start, request.end);
  if (!hours || request.entityIds.length === 0) return;
  const includeLabel = request.includeLabel ?? false;
  const sql = offlineFeaturesSql(specs, { kind: 'range' }, includeLabel);
  const client = await connectOrThrow(pool);
  // A checked-out client's connection errors (server terminated, network cut) are emitted on the
  // client, not on the pending read: without this listener they crash the process and the read
  // never settles. The error ends the iteration; the broken client is discarded, not reused.
  let broken: Error | undefined;
  let failRead: ((error: Error) => void) | undefined;
  const onError = (error: Error) => {
    broken ??= error;
    failRead?.(error);
  };
  // A terminated backend may also hand its error to the cursor and then just close the socket:
  // a read issued after that would wait forever, so the end of the connection fails it too.
  const onEnd = () => onError(new Error('Connection terminated while streaming feature rows'));
  client.on('error', onError);
  client.on('end', onEnd);
  const cursor = client.query(
    new Cursor<FeatureQueryRow>(
      sql,
      [request.projectId, request.metric, [...request.entityIds], wholeHoursIn(request.start, request.end)],
      { rowMode: 'array' },
    ),
  );
  try {
    for (;;) {
      const rows = await new Promise<FeatureQueryRow[]>((resolve, reject) => {
        if (broken) return reject(broken);
        failRead = reject;
        cursor.read(batchSize).then(resolve, reject);
      });
      failRead = undefined;
      if (rows.length === 0) break;
      yield rows.map((row) => toFeatureRow(row, specs.length, includeLabel));
    }
  } catch (error) {
    broken ??= error instanceof Error ? error : new Error(String(error));
    translateDbError(error);
  } finally {
    // Closing a cursor waits for the server's ReadyForQuery, which a dead connection never sends:
    // after any error the connection is discarded instead (release with an error destroys it).
    if (!broken) await cursor.close().catch(() => {});
    client.off('error', onError);
    client.off('end', onEnd);
    client.release(broken);
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
