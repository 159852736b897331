import { PassThrough } from 'node:stream';
import {
  type ArtifactStore,
  DomainError,
  type ExportRepository,
  exportFileMetadata,
  type FeatureColumns,
  type FeatureExport,
  type FeatureStore,
  packFeatureRows,
  prefetch,
} from '@aihub/core';
import type { Logger } from 'pino';
import { openExportEncoder } from './encoder.js';
import { STATISTICS_SKETCH } from './feature-statistics.js';

/*
 * The export worker: rows stream from PostgreSQL (slices read side by side, column-wise) through
 * the Parquet writer into an upload to the final key. S3 publishes an object only when its upload
 * completes (a single PUT, or a multipart upload's CompleteMultipartUpload), so a half-written
 * file is never visible there; an interrupted multipart upload is aborted. The record is marked
 * succeeded only after the upload completed (write-then-publish); any failure or cancel before
 * that removes what was written.
 * (An earlier version uploaded to a temporary key and copied: a copy of the whole file, which S3
 * also limits to 5 GB, for no gain in atomicity.)
 */

export interface ExportDeps {
  exports: ExportRepository;
  objects: ArtifactStore;
  downloadUrlTtlSeconds: number;
  /** A running export whose heartbeat is older than this is considered dead (process killed). */
  heartbeatTimeoutMs: number;
  /** The runner's own deadline: an export still running after this long is failed and freed. */
  timeoutMs: number;
}

// Spine exports are computed in slices this big (the range path streams through a cursor instead).
const SPINE_SLICE = 5_000;

export const exportPrefix = (e: Pick<FeatureExport, 'projectId' | 'id'>) => `${e.projectId}/exports/${e.id}/`;
export const finalKey = (e: Pick<FeatureExport, 'projectId' | 'id' | 'featureSet' | 'featureSetVersion'>) =>
  `${exportPrefix(e)}${e.featureSet}-v${e.featureSetVersion}.parquet`;

class ExportStopped extends Error {}

async function* rowsOf(
  featureStore: FeatureStore,
  deps: ExportDeps,
  e: FeatureExport,
): AsyncGenerator<FeatureColumns> {
  const { params } = e;
  const base = {
    projectId: e.projectId,
    metric: params.metric,
    features: params.features,
    includeLabel: params.includeLabel,
  };
  if (params.source.kind === 'range') {
    const entityIds =
      params.source.entityIds ?? (await featureStore.entitiesWithMetric(e.projectId, params.metric));
    const start = new Date(params.source.start);
    const end = new Date(params.source.end);
    yield* featureStore.streamRange({ ...base, entityIds, start, end });
    return;
  }
  const spine = await deps.exports.spine(e.id);
  for (let i = 0; i < spine.length; i += SPINE_SLICE) {
    const rows = await featureStore.retrieveOffline({ ...base, spine: spine.slice(i, i + SPINE_SLICE) });
    yield packFeatureRows(rows, params.features.length, params.includeLabel);
  }
}

/** Removes whatever an unfinished export left (an unfinished multipart upload, a completed file). */
export async function discardExportObjects(objects: ArtifactStore, e: FeatureExport) {
  await objects.abortUpload(finalKey(e));
  await objects.deletePrefix(exportPrefix(e));
}

/** Why an export was stopped from outside its own work (deadline or shutdown), as its recorded reason. */
function stopReason(reason: unknown, timeoutMs: number): DomainError {
  if (reason instanceof DomainError) return reason;
  return new DomainError(
    'UNAVAILABLE',
    `The export did not finish within ${Math.round(timeoutMs / 1000)} s (EXPORT_TIMEOUT_SECONDS)`,
  );
}

/**
 * When the store is down as a job (export, prediction batch) fails, its unfinished upload cannot be
 * aborted at once: `discard` is tried again every few seconds for ten minutes (then the scheduled
 * sweep of stale uploads has it).
 */
export function discardLater(
  discard: () => Promise<unknown>,
  log: Logger,
  job: Record<string, string>,
  attempt = 1,
): void {
  const retry = setTimeout(() => {
    discard().then(
      () => log.info({ ...job, attempt }, 'objects of a failed job removed'),
      () => {
        if (attempt < 120) discardLater(discard, log, job, attempt + 1);
      },
    );
  }, 5_000);
  retry.unref();
}

/**
 * How a job (export, prediction batch) that did not succeed ends: its record failed with the
 * error's reason (unless it was cancelled, which its record already says), then its objects
 * removed, retried later when the store itself is what failed.
 */
export async function endUnfinished(
  error: unknown,
  end: {
    cancelled: boolean;
    fail(reason: string): Promise<void>;
    discard(): Promise<unknown>;
    log: Logger;
    job: Record<string, string>;
    rows: number;
  },
): Promise<'cancelled' | 'failed'> {
  const { log, job } = end;
  try {
    // The record first: freeing the objects waits on the store, which may be what failed.
    if (end.cancelled) {
      log.info({ ...job, rows: end.rows }, 'job stopped (cancelled)');
      return 'cancelled';
    }
    const reason =
      error instanceof DomainError ? error.message : `internal error: ${(error as Error).message}`;
    log.error({ err: error, ...job }, 'job failed');
    await end.fail(reason);
    return 'failed';
  } finally {
    await end.discard().catch((e: unknown) => {
      log.warn({ err: e, ...job }, 'could not remove the objects of an unfinished job; retrying');
      discardLater(end.discard, log, job);
    });
  }
}

/**
 * The supervision every durable job run shares (exports, prediction batches): a heartbeat every
 * quarter of the heartbeat timeout records the rows written, and finds a cancel (the record no
 * longer running: `state.stopped`); `aborted` rejects with `stopError` once the deadline passes or
 * `signal` aborts (shutdown). `end` stops the heartbeat.
 */
export function superviseJob(options: {
  heartbeat: (rows: number) => Promise<boolean>;
  heartbeatTimeoutMs: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  stopError: (stop: AbortSignal) => Error;
}) {
  const state = { written: 0, stopped: false };
  const beat = async () => {
    if (!(await options.heartbeat(state.written).catch(() => true))) state.stopped = true;
  };
  const timer = setInterval(
    () => void beat(),
    Math.max(200, Math.min(5_000, options.heartbeatTimeoutMs / 4)),
  );
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const stop = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(options.stopError(stop));
    if (stop.aborted) fail();
    else stop.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => {});
  return { state, beat, aborted, end: () => clearInterval(timer) };
}

/**
 * Runs one export. It ends, with the record failed and its objects and upload removed, as soon as
 * any of these happens: the upload fails (the object store's error is the reason), the deadline
 * passes, or `signal` aborts (the server shutting down; its reason is recorded). Nothing waits on
 * a stalled upload: the Parquet encoder and the row stream are stopped at once.
 */
export async function runExport(
  deps: { featureStore: FeatureStore; exports: ExportDeps },
  id: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<'succeeded' | 'failed' | 'cancelled' | 'skipped'> {
  const { exports: repo, objects } = deps.exports;
  const record = await repo.claim(id);
  if (!record) return 'skipped'; // cancelled while queued, or another worker has it
  const run = superviseJob({
    heartbeat: (rows) => repo.heartbeat(id, rows),
    heartbeatTimeoutMs: deps.exports.heartbeatTimeoutMs,
    timeoutMs: deps.exports.timeoutMs,
    signal,
    stopError: (stop) => stopReason(stop.reason, deps.exports.timeoutMs),
  });
  const { state, beat, aborted } = run;
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  try {
    const objectKey = finalKey(record);
    const upload = objects.put(objectKey, body);
    upload.catch(() => {});
    // Whichever comes first of a failed upload and a stop interrupts the encoding.
    const interrupted = Promise.race([upload.then(() => new Promise<never>(() => {})), aborted]);
    interrupted.catch(() => {});
    // Encoding runs on its own thread while this one reads rows and uploads (encoder.ts).
    // It also measures each feature's statistics as the rows pass (feature-statistics.ts).
    const encoder = openExportEncoder(body, record.params.features, record.params.includeLabel, {
      metadata: exportFileMetadata(record, new Date()),
    });
    const produce = async () => {
      for await (const batch of prefetch(rowsOf(deps.featureStore, deps.exports, record))) {
        if (state.stopped) throw new ExportStopped();
        const rows = batch.entityIds.length;
        await encoder.append(batch);
        state.written += rows;
      }
      return encoder.close();
    };
    const producing = produce();
    producing.catch(() => {});
    let statistics: Awaited<ReturnType<typeof encoder.close>>;
    try {
      statistics = await Promise.race([producing, interrupted]);
    } catch (error) {
      state.stopped = true;
      await encoder.destroy();
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      await upload.catch(() => {});
      throw error;
    }
    const stored = await Promise.race([upload, aborted]);
    await beat();
    if (state.stopped) throw new ExportStopped();
    if (
      !(await repo.succeed(
        id,
        { rowsWritten: state.written, bytes: stored.sizeBytes, sha256: stored.sha256, objectKey },
        { sketch: STATISTICS_SKETCH, features: statistics.features },
      ))
    ) {
      throw new ExportStopped();
    }
    log.info({ exportId: id, rows: state.written, bytes: stored.sizeBytes }, 'export succeeded');
    return 'succeeded';
  } catch (error) {
    return endUnfinished(error, {
      cancelled: error instanceof ExportStopped,
      fail: (reason) => repo.fail(id, reason),
      discard: () => discardExportObjects(objects, record),
      log,
      job: { exportId: id },
      rows: state.written,
    });
  } finally {
    run.end();
  }
}

/**
 * Marks the running jobs (exports, prediction batches) whose worker stopped heartbeating as failed
 * with `reason`, and frees their objects.
 */
export async function sweepDeadJobs<T extends { id: string }>(
  records: { failStale(before: Date, reason: string): Promise<T[]> },
  heartbeatTimeoutMs: number,
  reason: string,
  discard: (job: T) => Promise<unknown>,
  log: Logger,
): Promise<number> {
  const dead = await records.failStale(new Date(Date.now() - heartbeatTimeoutMs), reason);
  for (const job of dead) {
    log.warn({ jobId: job.id, reason }, 'job worker lost; marked failed');
    await discard(job).catch((error: unknown) =>
      log.warn({ err: error, jobId: job.id }, 'could not remove the objects of a lost job'),
    );
  }
  return dead.length;
}

/** Marks running exports whose worker stopped heartbeating as failed and frees their objects. */
export function sweepDeadExports(deps: ExportDeps, log: Logger): Promise<number> {
  const reason = 'the export worker stopped (process killed or lost) mid-export';
  const discard = (e: FeatureExport) => discardExportObjects(deps.objects, e);
  return sweepDeadJobs(deps.exports, deps.heartbeatTimeoutMs, reason, discard, log);
}
