import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IngestProblem, ReadingRecord } from '@aihub/core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isUniqueViolation } from '../errors.js';

/*
 * Storing one batch of readings. Fast path (new data, the common case): binary COPY straight into
 * timeseries_data inside a savepoint, with the invalidation runs computed here while the rows are
 * at hand (and written once per file). If any key already exists (or repeats within the batch), the
 * savepoint is rolled back and the batch goes through staging + upsert, where the trigger logs only
 * rows that changed.
 */

const HOUR_MS = 3_600_000;

export const unknownEntitiesSql = `
SELECT id FROM unnest($2::text[]) AS id
 WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.project_id = $1 AND e.entity_id = id)`;

/** Runs of consecutive hours [first, last] per (entity, metric): the invalidation log's shape. */
export interface InvalidationRuns {
  entityIds: string[];
  metrics: string[];
  /** Hours since 1970 (ms / 3,600,000). */
  first: number[];
  last: number[];
}

/** The runs of one series' hours, given in any order, appended to `out`. */
function appendRuns(out: InvalidationRuns, entityId: string, metric: string, hours: Float64Array): void {
  let sorted = true;
  for (let i = 1; i < hours.length && sorted; i++) sorted = (hours[i] as number) >= (hours[i - 1] as number);
  if (!sorted) hours.sort();
  let start = hours[0] as number;
  let end = start;
  for (let i = 1; i <= hours.length; i++) {
    const hour = hours[i];
    if (hour !== undefined && hour <= end + 1) {
      end = Math.max(end, hour);
      continue;
    }
    out.entityIds.push(entityId);
    out.metrics.push(metric);
    out.first.push(start);
    out.last.push(end);
    if (hour !== undefined) start = end = hour;
  }
}

/**
 * The runs of a whole file, merged across its batches (a file in time order gives one run per
 * series): inserted once, at the end, instead of one set of rows per batch.
 */
export class InvalidationLog {
  private readonly series = new Map<string, Map<string, number[]>>();

  add(runs: InvalidationRuns): void {
    for (let i = 0; i < runs.entityIds.length; i++) {
      const entityId = runs.entityIds[i] as string;
      const metric = runs.metrics[i] as string;
      const first = runs.first[i] as number;
      const last = runs.last[i] as number;
      let metrics = this.series.get(entityId);
      if (metrics === undefined) {
        metrics = new Map();
        this.series.set(entityId, metrics);
      }
      const pairs = metrics.get(metric);
      if (pairs === undefined) {
        metrics.set(metric, [first, last]);
        continue;
      }
      // Flat [first, last, first, last, ...]; a run touching or overlapping the latest one extends it.
      const n = pairs.length;
      if (first <= (pairs[n - 1] as number) + 1 && last >= (pairs[n - 2] as number) - 1) {
        pairs[n - 2] = Math.min(pairs[n - 2] as number, first);
        pairs[n - 1] = Math.max(pairs[n - 1] as number, last);
      } else {
        pairs.push(first, last);
      }
    }
  }

  /** Writes the runs (bucket = start of the hour) for the refresh to pick up. */
  async write(client: pg.ClientBase, projectId: string): Promise<void> {
    const out = { entityIds: [] as string[], metrics: [] as string[], first: [] as Date[], last: [] as Date[] };
    for (const [entityId, metrics] of this.series) {
      for (const [metric, pairs] of metrics) {
        for (let i = 0; i < pairs.length; i += 2) {
          out.entityIds.push(entityId);
          out.metrics.push(metric);
          out.first.push(new Date((pairs[i] as number) * HOUR_MS));
          out.last.push(new Date((pairs[i + 1] as number) * HOUR_MS));
        }
      }
    }
    if (out.entityIds.length === 0) return;
    await client.query(
      `INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])`,
      [projectId, out.entityIds, out.metrics, out.first, out.last],
    );
  }
}

/**
 * Rejects rows of entities the project does not have; returns the rows to store. `known` holds the
 * entities already found in earlier batches of the same file, so a batch of known entities costs
 * no query. (Checking again per batch guarded nothing more: the check never locked the entity until
 * the commit.)
 */
export async function dropUnknownEntities(
  client: pg.ClientBase,
  projectId: string,
  rows: readonly { line: number; record: ReadingRecord }[],
  known: Set<string> = new Set(),
): Promise<{ kept: { line: number; record: ReadingRecord }[]; problems: IngestProblem[] }> {
  const ids = new Set<string>();
  for (const row of rows) if (!known.has(row.record.entityId)) ids.add(row.record.entityId);
  if (ids.size === 0) return { kept: rows as { line: number; record: ReadingRecord }[], problems: [] };
  const unknown = new Set(
    (await client.query<{ id: string }>(unknownEntitiesSql, [projectId, [...ids]])).rows.map((r) => r.id),
  );
  // Bounded: a file of ever new entities checks them again rather than growing the set forever.
  if (known.size > 100_000) known.clear();
  for (const id of ids) if (!unknown.has(id)) known.add(id);
  if (unknown.size === 0) return { kept: rows as { line: number; record: ReadingRecord }[], problems: [] };
  const kept: { line: number; record: ReadingRecord }[] = [];
  const problems: IngestProblem[] = [];
  for (const row of rows) {
    if (unknown.has(row.record.entityId))
      problems.push({ line: row.line, reason: `entity_id: unknown entity '${row.record.entityId}'` });
    else kept.push(row);
  }
  return { kept, problems };
}

export interface PreparedReadings {
  /**
   * Binary COPY data of the rows for timeseries_data (project_id, entity_id, metric, ts, value),
   * grouped by series: PostgreSQL parses no text, and consecutive rows land on the same primary-key
   * leaf page instead of one page per entity in turn.
   */
  data: Buffer;
  runs: InvalidationRuns;
}

// PostgreSQL's binary COPY format: signature, flags, header extension length; -1 ends the data.
const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\x00', 'latin1'), Buffer.alloc(8)]);
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 4_294_967_296;

/** A uuid as its 16 bytes. */
function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a uuid: ${id}`);
  return Buffer.from(hex, 'hex');
}

/**
 * Pure CPU work, done while PostgreSQL is busy with the previous batch. Written by hand (binary
 * COPY is a dozen lines of framing; the pg driver has no encoder for it) because text COPY made
 * PostgreSQL parse every timestamp and number again, the largest part of its work per row.
 */
export function prepareReadings(projectId: string, rows: readonly ReadingRecord[]): PreparedReadings {
  // Series (entity, metric) in order of first appearance; each row's series; rows per series.
  const seriesIndex = new Map<string, Map<string, number>>();
  const seriesKeys: { entityId: string; metric: string }[] = [];
  const counts: number[] = [];
  const rowSeries = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { entityId, metric } = rows[i] as ReadingRecord;
    let metrics = seriesIndex.get(entityId);
    if (metrics === undefined) {
      metrics = new Map();
      seriesIndex.set(entityId, metrics);
    }
    let s = metrics.get(metric);
    if (s === undefined) {
      s = seriesKeys.length;
      metrics.set(metric, s);
      seriesKeys.push({ entityId, metric });
      counts.push(0);
    }
    rowSeries[i] = s;
    counts[s] = (counts[s] as number) + 1;
  }
  // Counting sort by series, stable (file order within a series).
  const starts = new Int32Array(seriesKeys.length + 1);
  for (let s = 0; s < seriesKeys.length; s++) starts[s + 1] = (starts[s] as number) + (counts[s] as number);
  const order = new Int32Array(rows.length);
  const next = starts.slice(0, seriesKeys.length);
  for (let i = 0; i < rows.length; i++) {
    const s = rowSeries[i] as number;
    order[next[s] as number] = i;
    next[s] = (next[s] as number) + 1;
  }

  // Per series, the bytes every row of it starts with: field count, project id, entity id, metric,
  // and the length of the timestamp that follows.
  const project = uuidBytes(projectId);
  let size = COPY_BINARY_HEADER.length + 2;
  const prefixes = seriesKeys.map(({ entityId, metric }, s) => {
    const entity = Buffer.from(entityId, 'utf8');
    const metricBytes = Buffer.from(metric, 'utf8');
    const prefix = Buffer.allocUnsafe(2 + 4 + 16 + 4 + entity.length + 4 + metricBytes.length + 4);
    let at = prefix.writeInt16BE(5, 0);
    at = prefix.writeInt32BE(16, at);
    at += project.copy(prefix, at);
    at = prefix.writeInt32BE(entity.length, at);
    at += entity.copy(prefix, at);
    at = prefix.writeInt32BE(metricBytes.length, at);
    at += metricBytes.copy(prefix, at);
    prefix.writeInt32BE(8, at);
    size += (prefix.length + 8 + 4 + 8) * (counts[s] as number);
    return prefix;
  });

  const runs: InvalidationRuns = { entityIds: [], metrics: [], first: [], last: [] };
  const data = Buffer.allocUnsafe(size);
  let at = COPY_BINARY_HEADER.copy(data, 0);
  for (let s = 0; s < seriesKeys.length; s++) {
    const prefix = prefixes[s] as Buffer;
    const from = starts[s] as number;
    const hours = new Float64Array((starts[s + 1] as number) - from);
    for (let k = from; k < (starts[s + 1] as number); k++) {
      const row = rows[order[k] as number] as ReadingRecord;
      hours[k - from] = Math.floor(row.ts.getTime() / HOUR_MS);
      data.set(prefix, at);
      at += prefix.length;
      // timestamptz: microseconds since 2000-01-01 as a signed 64-bit integer. Years 0001-9999 need
      // more than 2^53 microseconds, so the high and low words are computed from milliseconds exactly.
      const ms = row.ts.getTime() - POSTGRES_EPOCH_MS;
      const msHigh = Math.floor(ms / TWO_32);
      const lowTimes1000 = (ms - msHigh * TWO_32) * 1000;
      const carry = Math.floor(lowTimes1000 / TWO_32);
      at = data.writeInt32BE(msHigh * 1000 + carry, at);
      at = data.writeUInt32BE(lowTimes1000 - carry * TWO_32, at);
      at = data.writeInt32BE(8, at);
      at = data.writeDoubleBE(row.value, at);
    }
    const key = seriesKeys[s] as { entityId: string; metric: string };
    appendRuns(runs, key.entityId, key.metric, hours);
  }
  data.writeInt16BE(-1, at);
  return { data, runs };
}

/**
 * The fast path; false when a key conflict sent the batch back (nothing of it is stored then).
 * The caller has turned aihub.skip_invalidation on and logs the batch's runs itself.
 */
export async function copyNewReadings(client: pg.ClientBase, prepared: PreparedReadings): Promise<boolean> {
  await client.query('SAVEPOINT readings_batch');
  try {
    await pipeline(
      Readable.from([prepared.data]),
      client.query(
        copyFrom('COPY timeseries_data (project_id, entity_id, metric, ts, value) FROM STDIN (FORMAT binary)'),
      ),
    );
    await client.query('RELEASE SAVEPOINT readings_batch');
    return true;
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT readings_batch');
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
