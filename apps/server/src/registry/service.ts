import {
  type ArtifactStore,
  DomainError,
  type ModelRegistryRepository,
  type ModelVersion,
  type ModelVersionRef,
  type Principal,
  roleAtLeast,
  type UploadClaim,
} from '@aihub/core';
import { PgModelRegistryRepository } from '@aihub/db';
import { S3ArtifactStore } from '@aihub/storage';
import type * as Minio from 'minio';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Env } from '../env.js';

/*
 * Registry operations that span the database and object storage. The order is always
 * write-then-publish: bytes land first, the version becomes `ready` last, and a failure in
 * between frees what was stored and marks the version `failed`.
 */

export interface ModelRegistryDeps {
  models: ModelRegistryRepository;
  artifacts: ArtifactStore;
  maxArtifactBytes: number;
  downloadUrlTtlSeconds: number;
  /** How long an upload holds its version past its last renewal (renewed every third of it). */
  uploadLeaseMs: number;
  /**
   * Run on a stored and verified artifact before its version becomes `ready` (the ONNX serving
   * check); throwing fails the upload with the error's message as the version's reason.
   */
  checkUpload?: (
    version: ModelVersion,
    artifact: { artifactKey: string; sha256: string; sizeBytes: number },
  ) => Promise<void>;
}

/** `<project-id>/models/<model-name>/v<version>/`: every object of one version, deleted together. */
export function versionPrefix(projectId: string, modelName: string, version: number): string {
  return `${projectId}/models/${modelName}/v${version}/`;
}

export const uploadPath = (versionId: string) => `/v1/models/uploads/${versionId}`;

function reasonOf(error: unknown): string {
  return error instanceof DomainError ? error.message : 'internal error';
}

/** Stores the metadata and metrics JSON beside the artifact, then publishes the version. */
async function publish(
  deps: ModelRegistryDeps,
  principal: Principal,
  version: ModelVersion,
  artifact: { sizeBytes: number; sha256: string; artifactKey: string },
  claim: string,
): Promise<ModelVersion> {
  const prefix = versionPrefix(principal.project.id, version.modelName, version.version);
  await deps.artifacts.putJson(`${prefix}metrics.json`, version.metrics);
  await deps.artifacts.putJson(`${prefix}metadata.json`, {
    model: version.modelName,
    version: version.version,
    format: version.format,
    sizeBytes: artifact.sizeBytes,
    sha256: artifact.sha256,
    params: version.params,
    metadata: version.metadata,
    lineage: version.lineage,
    createdBy: version.createdBy,
  });
  return deps.models.markReady(principal.project.id, version.id, artifact, principal.keyName, claim);
}

/**
 * Runs `work` under the upload's claim, renewing its lease meanwhile; on failure frees the
 * version's objects and marks it failed (unless another upload took it over), then rethrows.
 */
async function orFail<T>(
  deps: ModelRegistryDeps,
  principal: Principal,
  claim: UploadClaim,
  log: Logger,
  work: () => Promise<T>,
): Promise<T> {
  const { version, token } = claim;
  const renew = setInterval(
    () =>
      void deps.models
        .renewUpload(principal.project.id, version.id, token, deps.uploadLeaseMs)
        .catch((e: unknown) =>
          log.warn({ err: e, versionId: version.id }, 'could not renew the upload lease'),
        ),
    Math.max(100, deps.uploadLeaseMs / 3),
  );
  try {
    return await work();
  } catch (error) {
    const prefix = versionPrefix(principal.project.id, version.modelName, version.version);
    await deps.artifacts
      .deletePrefix(prefix)
      .catch((e: unknown) => log.warn({ err: e, prefix }, 'cleanup failed'));
    await deps.models
      .markFailed(principal.project.id, version.id, reasonOf(error), principal.keyName, token)
      .catch((e: unknown) => log.error({ err: e, versionId: version.id }, 'could not mark version failed'));
    throw error;
  } finally {
    clearInterval(renew);
  }
}

/** Receives a pending version's artifact as a stream; the version is `ready` only if it verifies. */
export async function receiveArtifact(
  deps: ModelRegistryDeps,
  principal: Principal,
  versionId: string,
  body: AsyncIterable<Uint8Array>,
  log: Logger,
): Promise<ModelVersion> {
  const claim = await deps.models.claimUpload(principal.project.id, versionId, deps.uploadLeaseMs);
  const { version } = claim;
  return orFail(deps, principal, claim, log, async () => {
    const artifactKey = `${versionPrefix(principal.project.id, version.modelName, version.version)}artifact.${version.format}`;
    const maxBytes = Math.min(version.declaredSizeBytes ?? deps.maxArtifactBytes, deps.maxArtifactBytes);
    const stored = await deps.artifacts.put(artifactKey, body, { maxBytes });
    const mismatch: Record<string, string[]> = {};
    if (version.declaredSizeBytes !== null && stored.sizeBytes !== version.declaredSizeBytes) {
      mismatch.sizeBytes = [`declared ${version.declaredSizeBytes} bytes, received ${stored.sizeBytes}`];
    }
    if (version.declaredSha256 !== null && stored.sha256 !== version.declaredSha256) {
      mismatch.sha256 = [`declared ${version.declaredSha256}, received bytes hash to ${stored.sha256}`];
    }
    if (Object.keys(mismatch).length > 0) {
      throw DomainError.badRequest(
        `Artifact does not match what was declared: ${Object.values(mismatch).flat().join('; ')}`,
        mismatch,
      );
    }
    await deps.checkUpload?.(version, { ...stored, artifactKey });
    return publish(deps, principal, version, { ...stored, artifactKey }, claim.token);
  });
}

/** Registers `source` again under another model name, copying its artifact inside the store. */
export async function copyVersion(
  deps: ModelRegistryDeps,
  principal: Principal,
  input: { source: ModelVersionRef; toName: string; comment: string | null },
  log: Logger,
): Promise<ModelVersion> {
  const source = await deps.models.get(principal.project.id, input.source);
  if (source.status !== 'ready' || !source.artifactKey || !source.sha256 || source.sizeBytes === null) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${source.modelName} v${source.version} is ${source.status}; only ready versions can be copied`,
    );
  }
  const { artifactKey: fromKey, sha256, sizeBytes } = source;
  const created = await deps.models.createVersion({
    projectId: principal.project.id,
    name: input.toName,
    format: source.format,
    declaredSizeBytes: sizeBytes,
    declaredSha256: sha256,
    metrics: source.metrics,
    params: source.params,
    metadata: source.metadata,
    lineage: source.lineage,
    actor: principal.keyName,
    comment: `copied from ${source.modelName} v${source.version}${input.comment ? `: ${input.comment}` : ''}`,
  });
  const claim = await deps.models.claimUpload(principal.project.id, created.id, deps.uploadLeaseMs);
  const { version } = claim;
  return orFail(deps, principal, claim, log, async () => {
    const artifactKey = `${versionPrefix(principal.project.id, version.modelName, version.version)}artifact.${version.format}`;
    await deps.artifacts.copy(fromKey, artifactKey);
    const copied = await deps.artifacts.stat(artifactKey);
    if (copied?.sizeBytes !== sizeBytes) throw DomainError.unavailable('Object storage (copy incomplete)');
    return publish(deps, principal, version, { sizeBytes, sha256, artifactKey }, claim.token);
  });
}

/** Deletes a version and its objects; a delete interrupted halfway is finished by calling again. */
export async function deleteVersion(
  deps: ModelRegistryDeps,
  principal: Principal,
  input: { ref: ModelVersionRef; force: boolean; comment: string | null },
): Promise<{ id: string; modelName: string; version: number; objectsRemoved: number }> {
  const target = await deps.models.get(principal.project.id, input.ref, { includeDeleting: true });
  const deleting = await deps.models.beginDelete(principal.project.id, target.id, {
    force: input.force,
    actorIsAdmin: roleAtLeast(principal.role, 'admin'),
    actor: principal.keyName,
    comment: input.comment,
  });
  const objectsRemoved = await deps.artifacts.deletePrefix(
    versionPrefix(principal.project.id, deleting.modelName, deleting.version),
  );
  await deps.models.finishDelete(principal.project.id, deleting.id);
  return { ...deleting, objectsRemoved };
}

export const ABANDONED_UPLOAD_REASON =
  'The upload stopped: the server receiving it was stopped or lost before it finished';

/**
 * Fails the pending versions whose upload lease expired (their server was killed mid-upload, so
 * nothing renewed it) and frees what they stored, including their unfinished multipart upload.
 */
export async function sweepAbandonedUploads(deps: ModelRegistryDeps, log: Logger): Promise<number> {
  const abandoned = await deps.models.failExpiredUploads(ABANDONED_UPLOAD_REASON, 'upload-sweep');
  for (const v of abandoned) {
    const prefix = versionPrefix(v.projectId, v.modelName, v.version);
    log.warn({ versionId: v.id, model: v.modelName, version: v.version }, 'abandoned upload marked failed');
    await deps.artifacts
      .abortUpload(`${prefix}artifact.${v.format}`)
      .then(() => deps.artifacts.deletePrefix(prefix))
      .catch((error: unknown) => log.warn({ err: error, prefix }, 'could not free an abandoned upload'));
  }
  return abandoned.length;
}

/** A ready version's artifact, for downloads and integrity checks. */
export async function readyArtifact(deps: ModelRegistryDeps, principal: Principal, ref: ModelVersionRef) {
  const v = await deps.models.get(principal.project.id, ref);
  if (v.status !== 'ready' || !v.artifactKey || !v.sha256 || v.sizeBytes === null) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${v.modelName} v${v.version} is ${v.status}; it has no artifact to read`,
    );
  }
  return { version: v, key: v.artifactKey, sha256: v.sha256, sizeBytes: v.sizeBytes };
}

/** The registry's adapters, built by the composition root from the shared pool and S3 client. */
export function createModelRegistryDeps(
  env: Pick<
    Env,
    | 'S3_BUCKET_MODELS'
    | 'S3_REGION'
    | 'S3_PART_SIZE_MB'
    | 'MODEL_MAX_ARTIFACT_BYTES'
    | 'MODEL_DOWNLOAD_URL_TTL_SECONDS'
    | 'MODEL_UPLOAD_LEASE_SECONDS'
  >,
  pool: pg.Pool,
  s3: Minio.Client,
): ModelRegistryDeps {
  return {
    models: new PgModelRegistryRepository(pool),
    artifacts: new S3ArtifactStore(
      s3,
      env.S3_BUCKET_MODELS,
      env.S3_REGION,
      env.S3_PART_SIZE_MB * 1024 * 1024,
    ),
    maxArtifactBytes: env.MODEL_MAX_ARTIFACT_BYTES,
    downloadUrlTtlSeconds: env.MODEL_DOWNLOAD_URL_TTL_SECONDS,
    uploadLeaseMs: env.MODEL_UPLOAD_LEASE_SECONDS * 1000,
  };
}
