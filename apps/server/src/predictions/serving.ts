import {
  type ArtifactStore,
  DomainError,
  type FeatureSetRepository,
  type ModelRegistryRepository,
  type ModelVersion,
  resolveFeatureSet,
} from '@aihub/core';
import type { LoadedModel, ModelCache } from './model-cache.js';
import { loadOnnx } from './onnx.js';
import { notServableReason, servingSpec } from './serving-spec.js';

/*
 * Loading a servable version: its artifact read back from object storage and verified against the
 * recorded sha256 and size before ONNX Runtime sees a byte, its lineage set's columns, and the
 * serving spec that checks the two against each other. Registration runs the same checks when an
 * ONNX upload completes, so a version that is `ready` and declares its inputs loads.
 */

export interface ServingDeps {
  artifacts: ArtifactStore;
  featureSets: FeatureSetRepository;
}

async function readVerified(deps: ServingDeps, version: ModelVersion): Promise<Uint8Array> {
  const { artifactKey, sha256, sizeBytes } = version;
  if (version.status !== 'ready' || !artifactKey || !sha256 || sizeBytes === null) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${version.modelName} v${version.version} is ${version.status}; it cannot be served`,
    );
  }
  const stream = await deps.artifacts.openVerified(artifactKey, { sha256, sizeBytes });
  const bytes = new Uint8Array(sizeBytes);
  let at = 0;
  // The stream fails at its end when the bytes do not hash to the recorded sha256.
  for await (const chunk of stream) {
    if (at + chunk.length > sizeBytes)
      throw DomainError.unavailable(`Model artifact '${artifactKey}' (longer than recorded)`);
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

async function columnsOf(deps: ServingDeps, version: ModelVersion): Promise<readonly string[]> {
  const { featureSet, featureSetVersion } = version.lineage;
  if (featureSet === null || featureSetVersion === null) return [];
  try {
    const set = await resolveFeatureSet(featureSet, featureSetVersion, (n, v) =>
      deps.featureSets.get(version.projectId, n, v),
    );
    return set.features;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'NOT_FOUND') {
      const message = `${featureSet}@${featureSetVersion} does not exist in this project`;
      throw DomainError.badRequest(`lineage.featureSet: ${message}`, { 'lineage.featureSet': [message] });
    }
    throw error;
  }
}

/** Loads `bytes` and checks them against the version's declared inputs; a BAD_REQUEST says why not. */
async function sessionFor(deps: ServingDeps, version: ModelVersion, bytes: Uint8Array): Promise<LoadedModel> {
  const columns = await columnsOf(deps, version);
  let session: Awaited<ReturnType<typeof loadOnnx>>;
  try {
    session = await loadOnnx(bytes);
  } catch (error) {
    const reason = `not a model ONNX Runtime can load: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`;
    throw DomainError.badRequest(`artifact: ${reason}`, { artifact: [reason] });
  }
  try {
    const spec = servingSpec(version, columns, session.signature);
    return { version, spec, session, sizeBytes: bytes.length };
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/** The model cache's loader. */
export async function loadServable(deps: ServingDeps, version: ModelVersion): Promise<LoadedModel> {
  const reason = notServableReason(version);
  if (reason) throw DomainError.badRequest(reason, { model: [reason] });
  return sessionFor(deps, version, await readVerified(deps, version));
}

/**
 * Run when an upload completes, before the version becomes `ready`: an ONNX version that declares
 * its inputs (lineage) must load and take exactly its feature set's columns. Other versions are
 * stored as they are (and `predict` on them says why they cannot be served).
 */
export async function checkServableUpload(
  deps: ServingDeps,
  version: ModelVersion,
  artifact: { artifactKey: string; sha256: string; sizeBytes: number },
): Promise<void> {
  if (notServableReason(version) !== null) return;
  const stored = { ...version, ...artifact, status: 'ready' as const };
  const model = await sessionFor(deps, stored, await readVerified(deps, stored));
  await model.session.release();
}

/** Loads an announced version (promoted, or an alias moved to it) into the cache, if servable. */
export async function warmAnnounced(
  models: ModelRegistryRepository,
  cache: ModelCache,
  projectId: string,
  versionId: string,
): Promise<void> {
  const version = await models.get(projectId, { id: versionId });
  if (version.status !== 'ready' || notServableReason(version) !== null) return;
  await cache.warm(version);
}
