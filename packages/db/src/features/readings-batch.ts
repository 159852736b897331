import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IngestProblem, ReadingRecord } from '@aihub/core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isUniqueViolation } from '../errors.js';
import { copyText } from './copy-text.js';

/*
 * Storing one batch of readings. Fast path (new data, the common case): COPY straight into
 * timeseries_data inside a savepoint, with the invalidation runs computed here while the rows are
 * at hand. If any key already exists (or repeats within the batch), the savepoint is rolled back
 * and the batch goes through staging + upsert, where the trigger logs only rows that changed.
 */

const HOUR_MS = 3_600_000;

export const unknownEntitiesSql = `
SELECT id FROM unnest($2::text[]) AS id
 WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.project_id = $1 AND e.entity_id = id)`;

/** Runs of consecutive hours per (entity, metric) touched by the rows: the invalidation log's shape. */
export function invalidationRuns(rows: readonly ReadingRecord[]): {
  entityIds: string[];
  metrics: string[];
  first: Date[];
  last: Date[];
} {
  // Nested maps rather than "entity|metric" keys: no string built per row on this hot path.
  const series = new Map<string, Map<string, Set<number>>>();
  for (const row of rows) {
    let metrics = series.get(row.entityId);
    if (metrics === undefined) {
      metrics = new Map();
      series.set(row.entityId, metrics);
    }
    let hours = metrics.get(row.metric);
    if (hours === undefined) {
      hours = new Set();
      metrics.set(row.metric, hours);
    }
    hours.add(Math.floor(row.ts.getTime() / HOUR_MS));
  }
  const out = { entityIds: [] as string[], metrics: [] as string[], first: [] as Date[], last: [] as Date[] };
  for (const [entityId, metrics] of series) {
    for (const [metric, set] of metrics) {
      const hours = [...set].sort((a, b) => a - b);
      let start = hours[0] as number;
      for (let i = 1; i <= hours.length; i++) {
        const hour = hours[i];
        if (hour !== undefined && hour === (hours[i - 1] as number) + 1) continue;
        out.entityIds.push(entityId);
        out.metrics.push(metric);
        out.first.push(new Date(start * HOUR_MS));
        out.last.push(new Date((hours[i - 1] as number) * HOUR_MS));
        if (hour !== undefined) start = hour;
      }
    }
  }
  return out;
}

/** Rejects rows of entities the project does not have; returns the rows to store. */
export async function dropUnknownEntities(
  client: pg.ClientBase,
  projectId: string,
  rows: readonly { line: number; record: ReadingRecord }[],
): Promise<{ kept: { line: number; record: ReadingRecord }[]; problems: IngestProblem[] }> {
  const ids = [...new Set(rows.map((r) => r.record.entityId))];
  const unknown = new Set(
    (await client.query<{ id: string }>(unknownEntitiesSql, [projectId, ids])).rows.map((r) => r.id),
  );
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
  /** COPY text of the rows, for timeseries_data (project_id, entity_id, metric, ts, value). */
  text: string;
  runs: ReturnType<typeof invalidationRuns>;
}

/** Pure CPU work, done while PostgreSQL is busy with the previous batch. */
export function prepareReadings(projectId: string, rows: readonly ReadingRecord[]): PreparedReadings {
  // Timestamps repeat across the entities of a file, so each distinct one is formatted once.
  let lastMs = Number.NaN;
  let lastIso = '';
  let text = '';
  for (const r of rows) {
    const ms = r.ts.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = r.ts.toISOString();
    }
    text += `${projectId}\t${copyText(r.entityId)}\t${copyText(r.metric)}\t${lastIso}\t${r.value}\n`;
  }
  return { text, runs: invalidationRuns(rows) };
}

/** The fast path; false when a key conflict sent the batch back (nothing of it is stored then). */
export async function copyNewReadings(
  client: pg.ClientBase,
  projectId: string,
  prepared: PreparedReadings,
): Promise<boolean> {
  const { text, runs } = prepared;
  await client.query('SAVEPOINT readings_batch');
  try {
    await client.query(`SELECT set_config('aihub.skip_invalidation', 'on', true)`);
    await pipeline(
      Readable.from([text]),
      client.query(copyFrom('COPY timeseries_data (project_id, entity_id, metric, ts, value) FROM STDIN')),
    );
    await client.query(
      `INSERT INTO aggregate_invalidations (project_id, entity_id, metric, first_bucket, last_bucket)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])`,
      [projectId, runs.entityIds, runs.metrics, runs.first, runs.last],
    );
    await client.query(`SELECT set_config('aihub.skip_invalidation', 'off', true)`);
    await client.query('RELEASE SAVEPOINT readings_batch');
    return true;
  } catch (error) {
    // Rolling back to the savepoint also restores aihub.skip_invalidation.
    await client.query('ROLLBACK TO SAVEPOINT readings_batch');
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
