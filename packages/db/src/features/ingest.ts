import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type EntityRecord,
  type IngestBatch,
  type IngestKind,
  type IngestProblem,
  type IngestRecord,
  type IngestSummary,
  prefetch,
  type ReadingRecord,
  type WeatherRecord,
} from '@aihub/core';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectOrThrow, translateDbError } from '../errors.js';
import {
  copyIntoStagingSql,
  createStagingSql,
  dropStagingLinesSql,
  stagingProblemsSql,
  upsertFromStagingSql,
} from '../sql/ingest.js';
import { copyNumber, copyText } from './copy-text.js';
import {
  copyNewReadings,
  dropUnknownEntities,
  InvalidationLog,
  type PreparedReadings,
  prepareReadings,
} from './readings-batch.js';

const toCopyLine: { [K in IngestKind]: (line: number, record: IngestRecord<K>) => string } = {
  readings: (line, r: ReadingRecord) =>
    `${line}\t${copyText(r.entityId)}\t${copyText(r.metric)}\t${r.ts.toISOString()}\t${copyNumber(r.value)}\n`,
  entities: (line, r: EntityRecord) =>
    `${line}\t${copyText(r.entityId)}\t${copyText(r.locationId)}\t${copyText(r.timezone)}\n`,
  weather: (line, r: WeatherRecord) =>
    `${line}\t${copyText(r.locationId)}\t${r.ts.toISOString()}\t${r.issuedAt.toISOString()}\t${r.values.map(copyNumber).join('\t')}\n`,
};

/**
 * Writes a whole file's batches in ONE transaction: either every accepted row of the file is
 * stored or none is (a crash or a dropped upload rolls back). Invalid lines are reported and
 * skipped; with `strict`, any invalid line rolls the whole file back.
 */
export async function ingestBatches<K extends IngestKind>(
  pool: pg.Pool,
  options: { projectId: string; kind: K; strict: boolean; maxProblems?: number },
  batches: AsyncIterable<IngestBatch<K>>,
): Promise<IngestSummary> {
  const { projectId, kind, strict } = options;
  const maxProblems = options.maxProblems ?? 1000;
  const problems: IngestProblem[] = [];
  let rejected = 0;
  let accepted = 0;
  const report = (found: IngestProblem[]) => {
    rejected += found.length;
    for (const problem of found) if (problems.length < maxProblems) problems.push(problem);
  };
  const encode = toCopyLine[kind] as (line: number, record: IngestRecord<K>) => string;

  const knownEntities = new Set<string>();
  const invalidations = new InvalidationLog();
  const client = await connectOrThrow(pool);
  try {
    await client.query('BEGIN');
    await client.query(createStagingSql[kind]);
    // Readings stored by the fast path are logged for the refresh by this function (once, at the
    // end), not row by row by the trigger; the upsert path below turns the trigger back on.
    if (kind === 'readings') await client.query(skipInvalidationSql('on'));
    // Parsing and encoding the next batch (CPU, in this process) overlap with PostgreSQL storing
    // this one.
    for await (const { batch, prepared } of prefetch(withPreparedReadings(kind, projectId, batches))) {
      report(batch.problems);
      let rows = batch.rows;
      if (kind === 'readings') {
        const checked = await dropUnknownEntities(
          client,
          projectId,
          rows as { line: number; record: ReadingRecord }[],
          knownEntities,
        );
        report(checked.problems);
        rows = checked.kept as typeof rows;
      }
      if (rows.length === 0) continue;
      // In strict mode there is no point writing once the file is known to be refused.
      if (strict && rejected > 0) continue;
      const written = rows.length;
      // The batch was encoded while it was produced, unless unknown entities were dropped from it.
      const readings =
        kind !== 'readings'
          ? undefined
          : rows === batch.rows && prepared
            ? prepared
            : prepareReadings(
                projectId,
                rows.map((r) => r.record as ReadingRecord),
              );
      if (readings && (await copyNewReadings(client, readings))) {
        invalidations.add(readings.runs);
        accepted += written;
        continue;
      }
      let text = '';
      for (const { line, record } of rows) text += encode(line, record);
      await pipeline(Readable.from([text]), client.query(copyFrom(copyIntoStagingSql(kind))));
      const check = stagingProblemsSql[kind];
      if (check) {
        const found = await client.query<{ line: string; reason: string }>(check);
        if (found.rows.length > 0) {
          report(found.rows.map((row) => ({ line: Number(row.line), reason: row.reason })));
          accepted -= found.rows.length;
          await client.query(dropStagingLinesSql, [found.rows.map((row) => row.line)]);
        }
      }
      if (!strict || rejected === 0) {
        if (kind === 'readings') await client.query(skipInvalidationSql('off'));
        await client.query(upsertFromStagingSql[kind], [projectId]);
        if (kind === 'readings') await client.query(skipInvalidationSql('on'));
      }
      await client.query('TRUNCATE ingest_staging');
      accepted += written;
    }
    problems.sort((a, b) => a.line - b.line);
    if (strict && rejected > 0) {
      await client.query('ROLLBACK');
      return { accepted: 0, rejected, problems, committed: false };
    }
    await invalidations.write(client, projectId);
    await client.query('COMMIT');
    return { accepted, rejected, problems, committed: true };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    // Stop reading the upload: nothing more of this file will be stored.
    await batches[Symbol.asyncIterator]()
      .return?.(undefined)
      .catch(() => {});
    translateDbError(error);
  } finally {
    client.release();
  }
}

/** Turns the readings trigger's logging off or on for the rest of the transaction. */
function skipInvalidationSql(state: 'on' | 'off'): string {
  return `SELECT set_config('aihub.skip_invalidation', '${state}', true)`;
}

/** Attaches the COPY data of each readings batch, computed as the batch is produced. */
async function* withPreparedReadings<K extends IngestKind>(
  kind: K,
  projectId: string,
  batches: AsyncIterable<IngestBatch<K>>,
): AsyncGenerator<{ batch: IngestBatch<K>; prepared: PreparedReadings | undefined }> {
  for await (const batch of batches) {
    const prepared =
      kind === 'readings'
        ? prepareReadings(
            projectId,
            batch.rows.map((r) => r.record as ReadingRecord),
          )
        : undefined;
    yield { batch, prepared };
  }
}
