import { PassThrough } from 'node:stream';
import {
  type ArtifactStore,
  DomainError,
  EXPORT_METADATA_PREFIX,
  FEATURE_SPEC_VERSION,
  type FeatureRow,
  type FeatureStore,
  type ModelRegistryRepository,
  type ModelVersion,
  type PredictionBatch,
  type PredictionBatchRepository,
  prefetch,
  type SpineRow,
  wholeHourBounds,
} from '@aihub/core';
import type { Logger } from 'pino';
import { endUnfinished, superviseJob, sweepDeadJobs } from '../exports/export-runner.js';
import { openBatchWriter } from './batch-parquet.js';
import type { ModelCache } from './model-cache.js';
import { runModel } from './predict.js';

/*
 * The prediction batch worker. The rows come from the offline store's own point-in-time reader
 * (retrieveOffline, in slices of a spine; a range is read as its spine of entities x whole hours),
 * so a batch's features are exactly what features.offline and an export give for the same rows;
 * each slice goes through the model once and into the Parquet writer, whose output is streamed to
 * the final key. S3 publishes an object only when its upload completes, and the record is marked
 * succeeded only after that (write-then-publish); a failure, cancel, deadline or shutdown before
 * it removes what was written (the unfinished upload is aborted, a completed object deleted).
 * Memory is bounded by one slice and one Parquet row group, whatever the batch's size.
 */

export interface PredictionBatchDeps {
  batches: PredictionBatchRepository;
  /** The exports bucket. */
  objects: ArtifactStore;
  models: ModelRegistryRepository;
  cache: ModelCache;
  downloadUrlTtlSeconds: number;
  /** A running batch whose heartbeat is older than this is considered dead (process killed). */
  heartbeatTimeoutMs: number;
  /** The runner's own deadline (EXPORT_TIMEOUT_SECONDS, as for exports). */
  timeoutMs: number;
}

// Rows read, run through the model and appended at a time: bounds the batch's memory.
const SPINE_SLICE = 5_000;
const HOUR_MS = 3_600_000;

export const batchPrefix = (b: Pick<PredictionBatch, 'projectId' | 'id'>) =>
  `${b.projectId}/predictions/${b.id}/`;
export const batchKey = (b: Pick<PredictionBatch, 'projectId' | 'id' | 'model'>) =>
  `${batchPrefix(b)}${b.model.name}-v${b.model.version}.parquet`;

class BatchStopped extends Error {}

/** The spine of a range: every entity x every whole hour of [start, end), in slices, never all at once. */
function* rangeSpine(entityIds: readonly string[], start: Date, end: Date): Generator<SpineRow[]> {
  const bounds = wholeHourBounds(start, end);
  if (!bounds) return;
  const [first, last] = [bounds[0].getTime(), bounds[1].getTime()];
  let slice: SpineRow[] = [];
  for (const entityId of entityIds) {
    for (let t = first; t <= last; t += HOUR_MS) {
      slice.push({ entityId, asOf: new Date(t) });
      if (slice.length === SPINE_SLICE) {
        yield slice;
        slice = [];
      }
    }
  }
  if (slice.length > 0) yield slice;
}

/**
 * The batch's vectors, slice by slice, from the offline store's point-in-time reader (the one
 * features.offline answers with). A range is read as its spine (entity-major, hours ascending).
 */
async function* vectorsOf(
  featureStore: FeatureStore,
  batches: PredictionBatchRepository,
  b: PredictionBatch,
): AsyncGenerator<FeatureRow[]> {
  const { params } = b;
  const base = {
    projectId: b.projectId,
    metric: params.metric,
    features: params.features,
    includeLabel: false,
  };
  let slices: Iterable<SpineRow[]>;
  if (params.source.kind === 'range') {
    const entityIds =
      params.source.entityIds ?? (await featureStore.entitiesWithMetric(b.projectId, params.metric));
    slices = rangeSpine(entityIds, new Date(params.source.start), new Date(params.source.end));
  } else {
    const spine = await batches.spine(b.id);
    slices = (function* () {
      for (let i = 0; i < spine.length; i += SPINE_SLICE) yield spine.slice(i, i + SPINE_SLICE);
    })();
  }
  for (const spine of slices) yield await featureStore.retrieveOffline({ ...base, spine });
}

function fileMetadata(b: PredictionBatch, createdAt: Date): Record<string, string> {
  const p = EXPORT_METADATA_PREFIX;
  return {
    [`${p}prediction_batch_id`]: b.id,
    [`${p}model`]: b.model.name,
    [`${p}model_version`]: String(b.model.version),
    [`${p}model_version_id`]: b.model.id,
    [`${p}feature_set`]: b.params.featureSet,
    [`${p}feature_set_version`]: String(b.params.version),
    [`${p}metric`]: b.params.metric,
    [`${p}features`]: JSON.stringify(b.params.features),
    [`${p}spec_version`]: String(FEATURE_SPEC_VERSION),
    [`${p}params`]: JSON.stringify(b.params),
    [`${p}created_at`]: createdAt.toISOString(),
  };
}

/** Removes whatever an unfinished batch left (an unfinished multipart upload, a completed file). */
async function discardBatchObjects(objects: ArtifactStore, b: PredictionBatch) {
  await objects.abortUpload(batchKey(b));
  await objects.deletePrefix(batchPrefix(b));
}

async function versionOf(deps: PredictionBatchDeps, b: PredictionBatch): Promise<ModelVersion> {
  try {
    return await deps.models.get(b.projectId, { id: b.model.id });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'NOT_FOUND')
      throw DomainError.notFound(`${b.model.name} v${b.model.version} (deleted after the batch was created)`);
    throw error;
  }
}

/**
 * Runs one batch. It ends, with the record failed and its objects removed, as soon as the upload
 * fails, the deadline passes or `signal` aborts (shutdown); a cancel (the heartbeat finds the
 * record no longer running) stops it at the next slice.
 */
export async function runPredictionBatch(
  deps: { featureStore: FeatureStore; predictionBatches: PredictionBatchDeps },
  id: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<'succeeded' | 'failed' | 'cancelled' | 'skipped'> {
  const batchDeps = deps.predictionBatches;
  const { batches: repo, objects } = batchDeps;
  const record = await repo.claim(id);
  if (!record) return 'skipped'; // cancelled while queued, or another worker has it
  const run = superviseJob({
    heartbeat: (rows) => repo.heartbeat(id, rows),
    heartbeatTimeoutMs: batchDeps.heartbeatTimeoutMs,
    timeoutMs: batchDeps.timeoutMs,
    signal,
    stopError: () =>
      new DomainError(
        'UNAVAILABLE',
        signal?.aborted
          ? 'The server shut down during the prediction batch; start it again'
          : `The prediction batch did not finish within ${Math.round(batchDeps.timeoutMs / 1000)} s (EXPORT_TIMEOUT_SECONDS)`,
      ),
  });
  const { state, beat, aborted } = run;
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  try {
    const version = await versionOf(batchDeps, record);
    const objectKey = batchKey(record);
    const upload = objects.put(objectKey, body);
    upload.catch(() => {});
    // Whichever comes first of a failed upload and a stop interrupts the work.
    const interrupted = Promise.race([upload.then(() => new Promise<never>(() => {})), aborted]);
    interrupted.catch(() => {});
    const produce = batchDeps.cache.use(version, async (model) => {
      const writer = await openBatchWriter(
        body,
        record.params.includeFeatures ? record.params.features : [],
        fileMetadata(record, new Date()),
      );
      for await (const rows of prefetch(vectorsOf(deps.featureStore, repo, record))) {
        if (state.stopped) throw new BatchStopped();
        const outputs = await runModel(
          model,
          rows.map((r) => r.values),
        );
        await writer.append(rows, outputs, version.version);
        state.written += rows.length;
      }
      await writer.close();
    });
    produce.catch(() => {});
    try {
      await Promise.race([produce, interrupted]);
    } catch (error) {
      state.stopped = true;
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      await upload.catch(() => {});
      throw error;
    }
    const stored = await Promise.race([upload, aborted]);
    await beat();
    if (state.stopped) throw new BatchStopped();
    const result = { rowsWritten: state.written, bytes: stored.sizeBytes, sha256: stored.sha256, objectKey };
    if (!(await repo.succeed(id, result))) throw new BatchStopped();
    log.info({ batchId: id, rows: state.written, bytes: stored.sizeBytes }, 'prediction batch succeeded');
    return 'succeeded';
  } catch (error) {
    return endUnfinished(error, {
      cancelled: error instanceof BatchStopped,
      fail: (reason) => repo.fail(id, reason),
      discard: () => discardBatchObjects(objects, record),
      log,
      job: { batchId: id },
      rows: state.written,
    });
  } finally {
    run.end();
  }
}

/** Marks running batches whose worker stopped heartbeating as failed and frees their objects. */
export function sweepDeadPredictionBatches(deps: PredictionBatchDeps, log: Logger): Promise<number> {
  const reason = 'the prediction batch worker stopped (process killed or lost) mid-batch';
  const discard = (b: PredictionBatch) => discardBatchObjects(deps.objects, b);
  return sweepDeadJobs(deps.batches, deps.heartbeatTimeoutMs, reason, discard, log);
}
