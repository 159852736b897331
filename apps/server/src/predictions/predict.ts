import { DomainError, type ModelVersion, type ModelVersionRef } from '@aihub/core';
import type { Logger } from 'pino';
import type { AppDeps } from '../context.js';
import { getFeatures } from '../online/serve.js';
import type { LoadedModel } from './model-cache.js';

/*
 * predictions.predict: the version a reference names (cached per process, but never across a
 * committed change: version-resolution.ts), the entities'
 * vectors from the online path (PostgreSQL fallback, point-in-time for a past asOf), nulls imputed
 * as the version's metadata says, and one ONNX run for the whole batch.
 */

export interface PredictInput {
  model: ModelVersionRef;
  entityIds: readonly string[];
  asOf?: Date | undefined;
  includeFeatures?: boolean | undefined;
}

export interface EntityPrediction {
  entityId: string;
  /** Null for an unknown entity, or when the model answered NaN/Infinity. */
  prediction: number | null;
  asOf: Date;
  source: 'online' | 'offline' | 'none';
  stale: boolean;
  status: 'ok' | 'unknown_entity';
  features?: Record<string, number | null>;
}

/** A ready version by reference; the model cache runs it. */
export async function resolveVersion(
  deps: AppDeps,
  projectId: string,
  ref: ModelVersionRef,
): Promise<ModelVersion> {
  const version = await deps.predictions.versions.resolve(projectId, ref);
  if (version.status !== 'ready') {
    const reason = `${version.modelName} v${version.version} is ${version.status}; only ready versions can be served`;
    throw new DomainError('PRECONDITION_FAILED', reason);
  }
  return version;
}

/** The model's input matrix: one row per entity in column order, nulls replaced by the imputation. */
export function inputMatrix(model: LoadedModel, rows: readonly (readonly (number | null)[])[]): Float32Array {
  const { imputation } = model.spec;
  const width = imputation.length;
  const values = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    for (let j = 0; j < width; j++) values[i * width + j] = row[j] ?? (imputation[j] as number);
  });
  return values;
}

export async function runModel(
  model: LoadedModel,
  rows: readonly (readonly (number | null)[])[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  const { inputName, outputName, columns } = model.spec;
  return model.session.run(inputName, outputName, inputMatrix(model, rows), rows.length, columns.length);
}

/** Who asked, for the prediction log. */
export interface Caller {
  requestId: string;
  keyName: string;
}

export async function predict(
  deps: AppDeps,
  projectId: string,
  input: PredictInput,
  log: Logger,
  caller: Caller,
) {
  const started = performance.now();
  const version = await resolveVersion(deps, projectId, input.model);
  return deps.predictions.cache.use(version, async (model, cached) => {
    const { spec } = model;
    const served = await getFeatures(
      deps,
      projectId,
      {
        featureSet: spec.featureSet,
        version: spec.featureSetVersion,
        metric: spec.metric,
        entityIds: input.entityIds,
        asOf: input.asOf,
      },
      log,
    );
    const known = served.vectors.filter((v) => v.status === 'ok');
    const outputs = await runModel(
      model,
      known.map((v) => v.values),
    );
    let k = 0;
    const predictions: EntityPrediction[] = served.vectors.map((v) => {
      const raw = v.status === 'ok' ? outputs[k++] : undefined;
      const prediction = raw !== undefined && Number.isFinite(raw) ? raw : null;
      const entry: EntityPrediction = {
        entityId: v.entityId,
        prediction,
        asOf: v.asOf,
        source: v.source,
        stale: v.stale,
        status: v.status,
      };
      if (input.includeFeatures)
        entry.features = Object.fromEntries(spec.columns.map((c, j) => [c, v.values[j] ?? null]));
      return entry;
    });
    const loggedAt = new Date();
    deps.predictions.log.record(
      known.map((v, i) => ({
        loggedAt,
        projectId,
        requestId: caller.requestId,
        keyName: caller.keyName,
        modelVersionId: version.id,
        entityId: v.entityId,
        featuresAsOf: v.asOf,
        input: v.values.map((x, j) => x ?? (spec.imputation[j] as number)),
        output: Number.isFinite(outputs[i]) ? (outputs[i] as number) : null,
      })),
    );
    return {
      model: {
        id: version.id,
        name: version.modelName,
        version: version.version,
        stage: version.stage,
        /** Whether this process had the version loaded when the request came (warmed or used before). */
        cached,
      },
      featureSet: { name: spec.featureSet, version: spec.featureSetVersion },
      metric: spec.metric,
      predictions,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  });
}
