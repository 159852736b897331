import { AnomalyOptInSchema, DomainError, type ModelVersion } from '@aihub/core';
import { z } from 'zod';
import type { OnnxSignature } from './onnx.js';

/*
 * What makes a registered version servable: an ONNX artifact whose lineage names the feature set
 * (and version) and target metric it was trained on; the set's columns, in the set's order, are its
 * input. Optional metadata keys: `outputName` (default: the model's only/first output),
 * `imputation` (feature -> value used for a null; default NaN passed through) and `baseline`
 * (feature -> mean input, for explanations; default: the training export's statistics) and
 * `anomalies` (true or { threshold }: the scheduled anomaly job scores it while in production).
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const ServingMetadataSchema = z.object({
  outputName: z.string().min(1).max(200).optional(),
  imputation: z.record(z.string(), finite).optional(),
  baseline: z.record(z.string(), finite).optional(),
  anomalies: z.union([AnomalyOptInSchema, z.literal(false)]).optional(),
});

export interface ServingSpec {
  featureSet: string;
  featureSetVersion: number;
  metric: string;
  columns: readonly string[];
  inputName: string;
  outputName: string;
  /** Per column: the value a null becomes (NaN when none was given). */
  imputation: number[];
  /** Per column, when metadata gave one for every column. */
  baseline: number[] | null;
}

/** Why a version cannot be served, or null when its registration declares what serving needs. */
export function notServableReason(version: ModelVersion): string | null {
  const what = `${version.modelName} v${version.version}`;
  if (version.format !== 'onnx') {
    return `${what} is a '${version.format}' artifact: only ONNX models can be served (it stays stored and downloadable)`;
  }
  const { featureSet, featureSetVersion, targetMetric } = version.lineage;
  if (featureSet === null || featureSetVersion === null || targetMetric === null) {
    return `${what} declares no input: register it with lineage featureSet, featureSetVersion and targetMetric to serve it`;
  }
  return null;
}

/**
 * The serving spec of `version` with `columns` (its lineage set's features) and the loaded model's
 * signature; a BAD_REQUEST naming what does not match.
 */
export function servingSpec(
  version: ModelVersion,
  columns: readonly string[],
  signature: OnnxSignature,
): ServingSpec {
  const reason = notServableReason(version);
  if (reason) throw new DomainError('PRECONDITION_FAILED', reason);
  const { featureSet, featureSetVersion, targetMetric } = version.lineage as {
    featureSet: string;
    featureSetVersion: number;
    targetMetric: string;
  };
  const setName = `${featureSet}@${featureSetVersion}`;
  const parsed = ServingMetadataSchema.safeParse(version.metadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['metadata', ...(issue?.path ?? [])].join('.');
    throw DomainError.badRequest(`${field}: ${issue?.message}`, { [field]: [issue?.message ?? 'invalid'] });
  }
  const meta = parsed.data;
  const fail = (field: string, message: string) => {
    throw DomainError.badRequest(`${field}: ${message}`, { [field]: [message] });
  };
  if (signature.inputs.length !== 1) {
    fail(
      'artifact',
      `the model has ${signature.inputs.length} inputs; a servable model takes one [N, ${columns.length}] float tensor`,
    );
  }
  const input = signature.inputs[0] as OnnxSignature['inputs'][number];
  if (input.type !== 'float32') {
    fail(
      'artifact',
      `input '${input.name}' is ${input.type ?? 'not a tensor'}; a servable model takes float32`,
    );
  }
  const shape = input.shape ?? [];
  const width = shape[1];
  if (
    shape.length !== 2 ||
    (typeof width === 'number' && width !== columns.length) ||
    typeof width !== 'number'
  ) {
    fail(
      'artifact',
      `input '${input.name}' has shape [${shape.join(', ')}]; ${setName} has ${columns.length} features (${columns.join(', ')}), so it must be [N, ${columns.length}]`,
    );
  }
  const outputName = meta.outputName ?? signature.outputs[0];
  if (outputName === undefined || !signature.outputs.includes(outputName)) {
    fail(
      'metadata.outputName',
      `the model has no output '${outputName}' (it has ${signature.outputs.join(', ')})`,
    );
  }
  for (const [table, values] of [
    ['imputation', meta.imputation],
    ['baseline', meta.baseline],
  ] as const) {
    const unknown = Object.keys(values ?? {}).filter((f) => !columns.includes(f));
    if (unknown.length > 0) fail(`metadata.${table}`, `${unknown.join(', ')} not in ${setName}`);
  }
  const baseline = meta.baseline;
  const fullBaseline = baseline && columns.every((c) => baseline[c] !== undefined);
  if (baseline && !fullBaseline)
    fail('metadata.baseline', `must give a value for every feature of ${setName}`);
  return {
    featureSet,
    featureSetVersion,
    metric: targetMetric,
    columns,
    inputName: input.name,
    outputName: outputName as string,
    imputation: columns.map((c) => meta.imputation?.[c] ?? Number.NaN),
    baseline: fullBaseline ? columns.map((c) => baseline[c] as number) : null,
  };
}
