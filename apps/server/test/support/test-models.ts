import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The ONNX test models: written by tests/models/make-test-models.py (Debian's python3-onnx) from
 * tests/models/test-models.json, and their expected outputs computed here by hand from the same
 * JSON (weights, thresholds, leaves), independently of ONNX Runtime and of the server.
 */

const folder = fileURLToPath(new URL('../../../../tests/models/', import.meta.url));

type Tree = { leaf: number } | { feature: string; threshold: number; left: Tree; right: Tree };
export type TestModelSpec =
  | { kind: 'linear'; features: string[]; weights: number[]; bias: number }
  | { kind: 'trees'; features: string[]; base: number; trees: Tree[] }
  | { kind: 'random_trees'; inputs: number; trees: number; depth: number; seed: number };

export const TEST_MODELS = JSON.parse(readFileSync(join(folder, 'test-models.json'), 'utf8')) as Record<
  string,
  TestModelSpec
>;

/** Writes every test model into a new temporary folder; name -> file bytes. */
export function makeTestModels(): Record<string, Buffer> {
  const out = mkdtempSync(join(tmpdir(), 'aihub-test-models-'));
  execFileSync('/usr/bin/python3', [join(folder, 'make-test-models.py'), out], { stdio: 'pipe' });
  return Object.fromEntries(
    Object.keys(TEST_MODELS).map((name) => [name, readFileSync(join(out, `${name}.onnx`))]),
  );
}

function leafOf(tree: Tree, value: (feature: string) => number): number {
  let node = tree;
  // x <= threshold goes left; anything else, NaN included, right (the ONNX model's BRANCH_LEQ).
  while (!('leaf' in node)) node = value(node.feature) <= node.threshold ? node.left : node.right;
  return node.leaf;
}

/** The model's output for one input row (columns in the spec's feature order), by hand. */
export function expectedOutput(name: string, row: readonly number[]): number {
  const spec = TEST_MODELS[name];
  if (!spec || spec.kind === 'random_trees') throw new Error(`no hand computation for ${name}`);
  const value = (feature: string) => row[spec.features.indexOf(feature)] as number;
  if (spec.kind === 'linear') {
    return spec.weights.reduce((sum, w, j) => sum + w * (row[j] as number), spec.bias);
  }
  return spec.trees.reduce((sum, tree) => sum + leafOf(tree, value), spec.base);
}
