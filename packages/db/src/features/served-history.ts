import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OnlineSetKey, OnlineVector, ServedFeatureHistory, ServedVectorRecord } from '@aihub/core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectOrThrow, translateDbError } from '../errors.js';
import { copyText } from './copy-text.js';

/*
 * The served-feature history (`ai_features`, partitioned by day of as_of; see its migration for
 * the columns). Raw SQL: COPY, temporary tables and partition maintenance are beyond the ORM.
 */

const DAY_MS = 86_400_000;
// Partitions exist for the day being written and the next, so the day rolling over never waits
// for one to be created.
const DAYS_AHEAD = 2;

/** `{a,b,NULL}`: a float8[] literal for COPY's text format (numbers print as shortest round-trip decimals). */
function arrayLiteral(values: readonly (number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}

export async function ensureFeatureHistoryPartitions(
  db: Pick<pg.Pool, 'query'>,
  from: Date,
  days = DAYS_AHEAD,
): Promise<number> {
  const result = await db.query<{ created: number }>(
    'SELECT aihub_ensure_ai_features_partitions($1, $2) AS created',
    [from, new Date(from.getTime() + days * DAY_MS)],
  );
  return result.rows[0]?.created ?? 0;
}

export class PgServedFeatureHistory implements ServedFeatureHistory {
  constructor(private readonly pool: pg.Pool) {}

  async append(key: OnlineSetKey, vectors: readonly OnlineVector[], materializedAt: Date): Promise<number> {
    if (vectors.length === 0) return 0;
    let text = '';
    let earliest = Number.POSITIVE_INFINITY;
    for (const v of vectors) {
      earliest = Math.min(earliest, v.asOf.getTime());
      text += `${copyText(v.entityId)}\t${v.asOf.toISOString()}\t${arrayLiteral(v.values)}\n`;
    }
    try {
      // Its own short transaction, before the write: creating a partition must not wait for (or
      // hold a lock during) the COPY below.
      await ensureFeatureHistoryPartitions(this.pool, new Date(earliest));
    } catch (error) {
      translateDbError(error);
    }
    const client = await connectOrThrow(this.pool);
    try {
      await client.query('BEGIN');
      // COPY cannot skip or merge duplicate keys, so the run is copied into a temporary table and
      // merged from there: the whole run lands in one statement, and re-running it is harmless.
      await client.query(
        `CREATE TEMP TABLE ai_features_incoming
           (entity_id text NOT NULL, as_of timestamptz NOT NULL, feature_values float8[] NOT NULL) ON COMMIT DROP`,
      );
      await pipeline(
        Readable.from([text]),
        client.query(copyFrom('COPY ai_features_incoming (entity_id, as_of, feature_values) FROM STDIN')),
      );
      const merged = await client.query(
        `INSERT INTO ai_features AS f
           (project_id, feature_set, feature_set_version, metric, entity_id, as_of, feature_values, materialized_at)
         SELECT $1, $2, $3, $4, i.entity_id, i.as_of, i.feature_values, $5 FROM ai_features_incoming i
         ON CONFLICT (project_id, feature_set, feature_set_version, metric, entity_id, as_of)
         DO UPDATE SET feature_values = EXCLUDED.feature_values, materialized_at = EXCLUDED.materialized_at
          WHERE f.feature_values IS DISTINCT FROM EXCLUDED.feature_values`,
        [key.projectId, key.featureSet, key.version, key.metric, materializedAt],
      );
      await client.query('COMMIT');
      return merged.rowCount ?? 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      translateDbError(error);
    } finally {
      client.release();
    }
  }

  async list(key: OnlineSetKey, entityId: string, start: Date, end: Date): Promise<ServedVectorRecord[]> {
    try {
      const result = await this.pool.query<{
        as_of: Date;
        feature_values: (number | null)[];
        materialized_at: Date;
      }>(
        `SELECT as_of, feature_values, materialized_at FROM ai_features
          WHERE project_id = $1 AND feature_set = $2 AND feature_set_version = $3 AND metric = $4
            AND entity_id = $5 AND as_of >= $6 AND as_of < $7
          ORDER BY as_of`,
        [key.projectId, key.featureSet, key.version, key.metric, entityId, start, end],
      );
      return result.rows.map((r) => ({
        asOf: r.as_of,
        values: r.feature_values,
        materializedAt: r.materialized_at,
      }));
    } catch (error) {
      translateDbError(error);
    }
  }
}

/** A table partitioned by UTC day into `<table>_pYYYYMMDD`, and how its coming days' partitions are made. */
interface DayPartitioned {
  table: 'ai_features' | 'prediction_log';
  /** Advisory lock of its retention runs. */
  lockKey: number;
  ensureAhead(db: Pick<pg.Pool, 'query'>, now: Date): Promise<unknown>;
}

const AI_FEATURES: DayPartitioned = {
  table: 'ai_features',
  lockKey: 72_410_018,
  ensureAhead: (db, now) => ensureFeatureHistoryPartitions(db, now),
};

const PREDICTION_LOG: DayPartitioned = {
  table: 'prediction_log',
  lockKey: 72_410_022,
  ensureAhead: (db, now) =>
    db.query('SELECT aihub_ensure_prediction_log_partitions($1, $2)', [
      now,
      new Date(now.getTime() + DAYS_AHEAD * DAY_MS),
    ]),
};

function partitionDay(table: DayPartitioned['table'], name: string): number | null {
  if (!name.startsWith(`${table}_p`)) return null;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(name.slice(table.length + 2));
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

/**
 * Drops the history partitions whose whole day is older than `cutoff` (a partition holding any
 * hour at or after the cutoff stays), and creates the coming days' partitions. Returns the names
 * dropped. Each partition is detached CONCURRENTLY first, which waits for the transactions using
 * it instead of locking all of ai_features, then dropped; a detach interrupted by a crash is
 * finished by the next run. While one run holds the advisory lock, another (a second process)
 * returns at once with nothing dropped. It must not wait for the lock: a concurrent detach waits
 * for every transaction older than it, a waiting one included, which would deadlock. (A partition
 * being created, rarely at the same moment, can still meet a detach in a deadlock; PostgreSQL then
 * cancels one of the two, and the next materialization or retention run does it again.)
 */
export function dropExpiredFeatureHistory(pool: pg.Pool, cutoff: Date, now: Date): Promise<string[]> {
  return dropExpiredDayPartitions(pool, AI_FEATURES, cutoff, now);
}

/**
 * The same for the prediction log (`prediction_log`, by day of logged_at): run by the scheduled
 * retention job, never by the processes writing the log, so a write never waits on a detach.
 */
export function dropExpiredPredictionLog(pool: pg.Pool, cutoff: Date, now: Date): Promise<string[]> {
  return dropExpiredDayPartitions(pool, PREDICTION_LOG, cutoff, now);
}

async function dropExpiredDayPartitions(
  pool: pg.Pool,
  of: DayPartitioned,
  cutoff: Date,
  now: Date,
): Promise<string[]> {
  const client = await connectOrThrow(pool);
  let failure: Error | undefined;
  try {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [of.lockKey]);
    if (!locked.rows[0]?.ok) return [];
    try {
      await of.ensureAhead(client, now);
      // Attached partitions, and tables of ours left detached by an interrupted run. The table
      // name is one of the two constants above, so it is safe in the statement's text.
      const { rows } = await client.query<{ name: string; attached: boolean; pending: boolean | null }>(
        `SELECT c.relname AS name, i.inhrelid IS NOT NULL AS attached, i.inhdetachpending AS pending
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'public.${of.table}'::regclass
          WHERE c.relkind = 'r' AND c.relname ~ '^${of.table}_p[0-9]{8}$'`,
      );
      const dropped: string[] = [];
      for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
        const day = partitionDay(of.table, row.name);
        if (day === null || day + DAY_MS > cutoff.getTime()) continue;
        // The name matched the strict pattern above, so quoting it is enough.
        const table = `"${row.name}"`;
        if (row.attached) {
          await client.query(
            `ALTER TABLE ${of.table} DETACH PARTITION ${table} ${row.pending ? 'FINALIZE' : 'CONCURRENTLY'}`,
          );
        }
        await client.query(`DROP TABLE ${table}`);
        dropped.push(row.name);
      }
      return dropped;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [of.lockKey]).catch(() => {});
    }
  } catch (error) {
    // A connection that failed mid-way is discarded, not pooled (which also frees the lock).
    failure = error instanceof Error ? error : new Error(String(error));
    translateDbError(error);
  } finally {
    client.release(failure);
  }
}
