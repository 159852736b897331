import { PassThrough } from 'node:stream';
import {
  type ArtifactStore,
  DomainError,
  type ExportRepository,
  exportFileMetadata,
  type FeatureExport,
  type FeatureRow,
  type FeatureStore,
  prefetch,
} from '@aihub/core';
import type { Logger } from 'pino';
import { openExportEncoder } from './encoder.js';
import { STATISTICS_SKETCH } from './feature-statistics.js';

/*
 * The export worker: rows stream from PostgreSQL (cursor) through the Parquet writer into an upload
 * to the final key. S3 publishes an object only when its upload completes (a single PUT, or a
 * multipart upload's CompleteMultipartUpload), so a half-written file is never visible there; an
 * interrupted multipart upload is aborted. The record is marked succeeded only after the upload
 * completed (write-then-publish); any failure or cancel before that removes what was written.
 * (An earlier version uploaded to a temporary key and copied: a copy of the whole file, which S3
 * also limits to 5 GB, for no gain in atomicity.)
 */

export interface ExportDeps {
  exports: ExportRepository;
  objects: ArtifactStore;
  downloadUrlTtlSeconds: number;
  /** A running export whose heartbeat is older than this is considered dead (process killed). */
  heartbeatTimeoutMs: number;
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
): AsyncGenerator<FeatureRow[]> {
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
    yield await featureStore.retrieveOffline({ ...base, spine: spine.slice(i, i + SPINE_SLICE) });
  }
}

/** Removes whatever an unfinished export left (an unfinished multipart upload, a completed file). */
export async function discardExportObjects(objects: ArtifactStore, e: FeatureExport) {
  await objects.abortUpload(finalKey(e)).catch(() => {});
  await objects.deletePrefix(exportPrefix(e));
}

export async function runExport(
  deps: { featureStore: FeatureStore; exports: ExportDeps },
  id: string,
  log: Logger,
): Promise<'succeeded' | 'failed' | 'cancelled' | 'skipped'> {
  const { exports: repo, objects } = deps.exports;
  const record = await repo.claim(id);
  if (!record) return 'skipped'; // cancelled while queued, or another worker has it
  let written = 0;
  let stopped = false;
  const beat = async () => {
    if (!(await repo.heartbeat(id, written).catch(() => true))) stopped = true;
  };
  const timer = setInterval(
    () => void beat(),
    Math.max(200, Math.min(5_000, deps.exports.heartbeatTimeoutMs / 4)),
  );
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  try {
    const objectKey = finalKey(record);
    const upload = objects.put(objectKey, body);
    upload.catch(() => {});
    // Encoding runs on its own thread while this one reads rows and uploads (encoder.ts).
    // It also measures each feature's statistics as the rows pass (feature-statistics.ts).
    const encoder = openExportEncoder(body, record.params.features, record.params.includeLabel, {
      metadata: exportFileMetadata(record, new Date()),
    });
    let statistics: Awaited<ReturnType<typeof encoder.close>>;
    try {
      for await (const batch of prefetch(rowsOf(deps.featureStore, deps.exports, record))) {
        if (stopped) throw new ExportStopped();
        await encoder.append(batch);
        written += batch.length;
      }
      statistics = await encoder.close();
    } catch (error) {
      await encoder.destroy();
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      await upload.catch(() => {});
      throw error;
    }
    const stored = await upload;
    await beat();
    if (stopped) throw new ExportStopped();
    if (
      !(await repo.succeed(
        id,
        { rowsWritten: written, bytes: stored.sizeBytes, sha256: stored.sha256, objectKey },
        { sketch: STATISTICS_SKETCH, features: statistics.features },
      ))
    ) {
      throw new ExportStopped();
    }
    log.info({ exportId: id, rows: written, bytes: stored.sizeBytes }, 'export succeeded');
    return 'succeeded';
  } catch (error) {
    await discardExportObjects(objects, record).catch((e: unknown) =>
      log.warn({ err: e, exportId: id }, 'could not remove the objects of an unfinished export'),
    );
    if (error instanceof ExportStopped) {
      log.info({ exportId: id, rows: written }, 'export stopped (cancelled)');
      return 'cancelled';
    }
    const reason =
      error instanceof DomainError ? error.message : `internal error: ${(error as Error).message}`;
    log.error({ err: error, exportId: id }, 'export failed');
    await repo.fail(id, reason);
    return 'failed';
  } finally {
    clearInterval(timer);
  }
}

/** Marks running exports whose worker stopped heartbeating as failed and frees their objects. */
export async function sweepDeadExports(deps: ExportDeps, log: Logger): Promise<number> {
  const before = new Date(Date.now() - deps.heartbeatTimeoutMs);
  const dead = await deps.exports.failStale(
    before,
    'the export worker stopped (process killed or lost) mid-export',
  );
  for (const e of dead) {
    log.warn({ exportId: e.id }, 'export worker lost; marked failed');
    await discardExportObjects(deps.objects, e).catch((error: unknown) =>
      log.warn({ err: error, exportId: e.id }, 'could not remove the objects of a lost export'),
    );
  }
  return dead.length;
}
