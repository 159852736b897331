import type { Readable } from 'node:stream';
import {
  type IngestBatch,
  type IngestFormat,
  type IngestKind,
  type IngestRecord,
  type IngestSummary,
  type Principal,
  type RawRecord,
  requireRole,
  validateRecord,
} from '@aihub/core';
import type { AppDeps } from '../context.js';
import { parseIngestStream } from './parse.js';

/** Stores one file (or inline batch) for the principal's project, then asks for an aggregate refresh. */
async function ingest<K extends IngestKind>(
  deps: AppDeps,
  principal: Principal,
  kind: K,
  strict: boolean,
  batches: AsyncIterable<IngestBatch<K>>,
): Promise<IngestSummary> {
  requireRole(principal, 'writer');
  const summary = await deps.featureStore.ingest({ projectId: principal.project.id, kind, strict }, batches);
  if (summary.committed && summary.accepted > 0 && kind === 'readings') {
    // Not awaited by the caller's data: the refresh is a durable job, requested once the rows are committed.
    await deps.jobs.requestRefresh();
  }
  if (summary.committed && summary.accepted > 0 && kind === 'weather') {
    // Weather issued at or before the current hour may arrive after its vectors were materialized:
    // rewrite them, so online keeps agreeing with offline (feature-spec.md: both cut at H).
    await deps.jobs.requestMaterialize(principal.project.id);
  }
  return summary;
}

export function ingestFile(
  deps: AppDeps,
  principal: Principal,
  options: { kind: IngestKind; format: IngestFormat; strict: boolean },
  input: Readable,
): Promise<IngestSummary> {
  return ingest(
    deps,
    principal,
    options.kind,
    options.strict,
    parseIngestStream(options.kind, options.format, input),
  );
}

/** Inline records (JSON objects, as NDJSON lines would be); line numbers are 1-based positions. */
export function ingestRecords(
  deps: AppDeps,
  principal: Principal,
  options: { kind: IngestKind; strict: boolean },
  records: readonly RawRecord[],
): Promise<IngestSummary> {
  const batch: IngestBatch<IngestKind> = { rows: [], problems: [] };
  records.forEach((raw, index) => {
    const result = validateRecord(options.kind, raw, 'ndjson');
    if (result.ok) batch.rows.push({ line: index + 1, record: result.record as IngestRecord<IngestKind> });
    else batch.problems.push({ line: index + 1, reason: result.reason });
  });
  async function* single() {
    yield batch;
  }
  return ingest(deps, principal, options.kind, options.strict, single());
}
