import type {
  ArtifactFormat,
  Lineage,
  Metadata,
  Metrics,
  ModelAuditEvent,
  ModelStage,
  ModelVersion,
  Params,
  RegistrationStatus,
  Tags,
} from './registry.js';
import type { MetricFilter, ModelSort } from './registry-rules.js';

/* Ports of the model registry: its repository (@aihub/db) and its artifact store (@aihub/storage). */

// Model registry ------------------------------------------------------------------------------

/** How a caller names one version. */
export type ModelVersionRef =
  | { id: string }
  | { name: string; version: number }
  | { name: string; stage: ModelStage }
  | { name: string; alias: string };

export interface NewModelVersion {
  projectId: string;
  name: string;
  description?: string | null | undefined;
  tags?: Tags | undefined;
  format: ArtifactFormat;
  declaredSizeBytes: number | null;
  declaredSha256: string | null;
  metrics: Metrics;
  params: Params;
  metadata: Metadata;
  lineage: Lineage;
  actor: string;
  comment?: string | null | undefined;
}

export interface ModelListQuery {
  nameContains?: string | undefined;
  stage?: ModelStage | undefined;
  status?: RegistrationStatus | undefined;
  alias?: string | undefined;
  /** `key` (present) or `key=value`. */
  tag?: string | undefined;
  metrics: readonly MetricFilter[];
  sort: ModelSort;
  sortMetric?: string | undefined;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

export interface ModelVersionPage {
  items: ModelVersion[];
  nextCursor: string | null;
}

/** A version whose delete has begun: enough to find its objects. */
export interface DeletingVersion {
  id: string;
  modelName: string;
  version: number;
}

/**
 * One upload's hold on a pending version: `token` identifies the claim (a later claim of the same
 * version, after this one's lease expired, gets another), so a stalled uploader cannot publish or
 * fail a version that someone else now uploads.
 */
export interface UploadClaim {
  version: ModelVersion;
  token: string;
}

/** A pending version whose upload's lease expired and that the sweep marked failed. */
export interface AbandonedUpload {
  projectId: string;
  id: string;
  modelName: string;
  version: number;
  format: string;
}

/** Storage of registered models, versions, aliases and their audit trail. Implemented in @aihub/db. */
export interface ModelRegistryRepository {
  /** Allocates the next version number (no gaps, no duplicates) and inserts a `pending` version. */
  createVersion(input: NewModelVersion): Promise<ModelVersion>;
  /**
   * pending -> ready, with the stored artifact's verified size and sha256; with `claim`, only while
   * that upload still holds the version (CONFLICT otherwise).
   */
  markReady(
    projectId: string,
    versionId: string,
    artifact: { sizeBytes: number; sha256: string; artifactKey: string },
    actor: string,
    claim?: string,
  ): Promise<ModelVersion>;
  /**
   * pending -> failed with the reason; a no-op for versions that are no longer pending (or, with
   * `claim`, that another upload has taken over).
   */
  markFailed(
    projectId: string,
    versionId: string,
    reason: string,
    actor: string,
    claim?: string,
  ): Promise<void>;
  /**
   * Claims a pending version for one upload, for `leaseMs` unless renewed; CONFLICT while another
   * upload's lease holds it or when it is not pending. An expired lease is taken over.
   */
  claimUpload(projectId: string, versionId: string, leaseMs: number): Promise<UploadClaim>;
  /** Extends the claim's lease; false when the claim is no longer the version's (taken over, finished). */
  renewUpload(projectId: string, versionId: string, claim: string, leaseMs: number): Promise<boolean>;
  /** Marks failed, with `reason`, every pending version whose upload lease has expired. */
  failExpiredUploads(reason: string, actor: string): Promise<AbandonedUpload[]>;
  /** NOT_FOUND unless the version exists in the project; `deleting` versions only when asked for. */
  get(
    projectId: string,
    ref: ModelVersionRef,
    options?: { includeDeleting?: boolean },
  ): Promise<ModelVersion>;
  list(projectId: string, query: ModelListQuery): Promise<ModelVersionPage>;
  promote(
    projectId: string,
    versionId: string,
    input: { to: ModelStage; demoteTo: 'archived' | 'staging'; actor: string; comment: string | null },
  ): Promise<{ version: ModelVersion; demoted: ModelVersion | null }>;
  setAlias(
    projectId: string,
    versionId: string,
    alias: string,
    actor: string,
    comment: string | null,
  ): Promise<ModelVersion>;
  removeAlias(
    projectId: string,
    modelName: string,
    alias: string,
    actor: string,
    comment: string | null,
  ): Promise<void>;
  /** Marks the version `deleting` (idempotent) and records the tombstone; the caller then frees storage. */
  beginDelete(
    projectId: string,
    versionId: string,
    input: { force: boolean; actorIsAdmin: boolean; actor: string; comment: string | null },
  ): Promise<DeletingVersion>;
  /** Removes a `deleting` version's row once its objects are gone. */
  finishDelete(projectId: string, versionId: string): Promise<void>;
  history(
    projectId: string,
    filter: { name: string; version?: number | undefined },
  ): Promise<ModelAuditEvent[]>;
}

/** Stored artifact: what the store computed while the bytes streamed through. */
export interface StoredObject {
  sizeBytes: number;
  sha256: string;
}

/** Object storage for model artifacts. Implemented in @aihub/storage. */
export interface ArtifactStore {
  /** Streams `body` to `key`, computing sha256 and size on the fly; PAYLOAD_TOO_LARGE past `maxBytes`. */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: { maxBytes?: number }): Promise<StoredObject>;
  /** The object's bytes; the stream errors (PRECONDITION_FAILED) at its end if they do not match. */
  openVerified(key: string, expected: StoredObject): Promise<AsyncIterable<Uint8Array>>;
  putJson(key: string, value: unknown): Promise<void>;
  getJson(key: string): Promise<unknown>;
  stat(key: string): Promise<{ sizeBytes: number } | null>;
  list(prefix: string): Promise<string[]>;
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Removes every object under the prefix, and unfinished multipart uploads of `keys`; idempotent. */
  deletePrefix(prefix: string): Promise<number>;
  /** Aborts the unfinished multipart uploads of `key` (left by a process that was killed). */
  abortUpload(key: string): Promise<void>;
  /** Aborts every unfinished multipart upload started before `olderThan`; returns how many. */
  abortStaleUploads(olderThan: Date): Promise<number>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}
