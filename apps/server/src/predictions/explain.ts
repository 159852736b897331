import { DomainError, type ModelVersionRef } from '@aihub/core';
import type { Logger } from 'pino';
import type { AppDeps } from '../context.js';
import { getFeatures } from '../online/serve.js';
import type { LoadedModel } from './model-cache.js';
import { resolveVersion, runModel } from './predict.js';

/*
 * predictions.explain: per-feature contributions that add up to prediction − baseline.
 *
 * The baseline is the mean input recorded at registration: metadata.baseline, else the means of the
 * training export's statistics (lineage.exportId). First each feature is moved alone from the
 * baseline to the entity's value; when those one-at-a-time changes add up to the whole change, the
 * model is additive between the two points (a linear model always is) and they are its exact
 * Shapley values ('exact'). Otherwise: Shapley values sampled by permutation ('sampled_shapley'),
 * `samples` random orders from a fixed seed, each order moving the features from the baseline to the
 * entity one by one and crediting each with its change; every order's changes add up to the whole,
 * so the averages do too. All evaluations of one explanation go to ONNX Runtime as one batch.
 */

export const DEFAULT_SAMPLES = 200;
export const MAX_SAMPLES = 2_000;
const SEED = 0x5eed;

/** mulberry32: a small seeded PRNG, so the same request gives the same explanation. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

async function baselineOf(
  deps: AppDeps,
  projectId: string,
  model: LoadedModel,
): Promise<{ values: number[]; source: 'metadata' | 'training_export' }> {
  if (model.spec.baseline) return { values: model.spec.baseline, source: 'metadata' };
  const { exportId } = model.version.lineage;
  const statistics = exportId ? await deps.exports.exports.statistics(projectId, exportId) : null;
  const what = `${model.version.modelName} v${model.version.version}`;
  if (!statistics) {
    const reason = `${what} has no baseline: register it with metadata.baseline, or with lineage.exportId of a succeeded export`;
    throw new DomainError('PRECONDITION_FAILED', reason);
  }
  const means = new Map(statistics.features.map((f) => [f.feature, f.mean]));
  const values = model.spec.columns.map((c) => means.get(c));
  const missing = model.spec.columns.filter((_, j) => typeof values[j] !== 'number');
  if (missing.length > 0) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${what}: the training export has no mean for ${missing.join(', ')}; give metadata.baseline`,
    );
  }
  return { values: values as number[], source: 'training_export' };
}

export async function explain(
  deps: AppDeps,
  projectId: string,
  input: { model: ModelVersionRef; entityId: string; asOf?: Date | undefined; samples: number },
  log: Logger,
) {
  const version = await resolveVersion(deps, projectId, input.model);
  return deps.predictions.cache.use(version, async (model) => {
    const { spec } = model;
    const served = await getFeatures(
      deps,
      projectId,
      {
        featureSet: spec.featureSet,
        version: spec.featureSetVersion,
        metric: spec.metric,
        entityIds: [input.entityId],
        asOf: input.asOf,
      },
      log,
    );
    const vector = served.vectors[0];
    if (!vector || vector.status !== 'ok') {
      throw DomainError.badRequest(`entityId: unknown entity '${input.entityId}'`, {
        entityId: ['unknown entity'],
      });
    }
    const x = vector.values.map((v, j) => v ?? (spec.imputation[j] as number));
    const nulls = spec.columns.filter((_, j) => Number.isNaN(x[j]));
    if (nulls.length > 0) {
      const reason = `${nulls.join(', ')} ${nulls.length === 1 ? 'is' : 'are'} null for '${input.entityId}' and the model gives no imputation value`;
      throw new DomainError('PRECONDITION_FAILED', `Cannot explain: ${reason}`);
    }
    const baseline = await baselineOf(deps, projectId, model);
    const b = baseline.values;
    const width = spec.columns.length;
    // Rows: the input, the baseline, then each feature alone moved to the input's value.
    const single = spec.columns.map((_, j) => b.map((v, k) => (k === j ? (x[j] as number) : v)));
    const first = await runModel(model, [x, b, ...single]);
    const prediction = first[0] as number;
    const atBaseline = first[1] as number;
    const whole = prediction - atBaseline;
    const alone = spec.columns.map((_, j) => (first[2 + j] as number) - atBaseline);
    const sum = alone.reduce((s, c) => s + c, 0);
    // float32 inside the model: additive to its precision.
    const tolerance = 1e-5 * Math.max(1, Math.abs(prediction), Math.abs(atBaseline)) * width;
    let contributions = alone;
    let method: 'exact' | 'sampled_shapley' = 'exact';
    if (!(Math.abs(sum - whole) <= tolerance)) {
      method = 'sampled_shapley';
      const random = prng(SEED);
      const orders = Array.from({ length: input.samples }, () => shuffled(width, random));
      const rows: number[][] = [];
      for (const order of orders) {
        const row = [...b];
        rows.push([...row]);
        for (const j of order) {
          row[j] = x[j] as number;
          rows.push([...row]);
        }
      }
      const outputs = await runModel(model, rows);
      const totals = new Array<number>(width).fill(0);
      orders.forEach((order, o) => {
        const base = o * (width + 1);
        order.forEach((j, step) => {
          totals[j] =
            (totals[j] as number) + (outputs[base + step + 1] as number) - (outputs[base + step] as number);
        });
      });
      contributions = totals.map((t) => t / input.samples);
    }
    return {
      model: { id: version.id, name: version.modelName, version: version.version, stage: version.stage },
      entityId: input.entityId,
      asOf: vector.asOf,
      source: vector.source,
      prediction,
      baseline: { prediction: atBaseline, source: baseline.source },
      method,
      samples: method === 'exact' ? 0 : input.samples,
      contributions: spec.columns.map((feature, j) => ({
        feature,
        value: x[j] as number,
        baseline: b[j] as number,
        contribution: contributions[j] as number,
      })),
    };
  });
}
