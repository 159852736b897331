#!/usr/bin/python3
"""Writes the ONNX test models described in test-models.json (beside this file) into a folder.

Usage: /usr/bin/python3 tests/models/make-test-models.py OUT_DIR
Needs Debian's python3-onnx (scripts/setup.sh installs it). Models: opset 13 (+ ai.onnx.ml 3),
IR version 8; one float input `features` of shape [N, F] in the feature set's column order.
  linear: prediction = features @ weights + bias (MatMul + Add), output `prediction` [N, 1]
  trees:  ai.onnx.ml TreeEnsembleRegressor summing its trees plus `base`, output `variable` [N, 1];
          a node sends x <= threshold left (its true branch), anything else (NaN too) right.
  random_trees: `trees` full trees of `depth` over `inputs` columns, from a seeded PRNG (bench only).
The tests compute the expected outputs from test-models.json by hand, not with these files.
"""
import json
import os
import random
import sys

from onnx import TensorProto, checker, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def io(n_inputs, output):
    x = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_inputs])
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", 1])
    return x, y


def save(graph, path, ml=False):
    opsets = [helper.make_opsetid("", 13)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", 3))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="aihub-test-models")
    model.ir_version = 8
    checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def linear(name, spec):
    n = len(spec["features"])
    x, y = io(n, "prediction")
    w = helper.make_tensor("weights", TensorProto.FLOAT, [n, 1], spec["weights"])
    b = helper.make_tensor("bias", TensorProto.FLOAT, [1], [spec["bias"]])
    nodes = [
        helper.make_node("MatMul", ["features", "weights"], ["product"]),
        helper.make_node("Add", ["product", "bias"], ["prediction"]),
    ]
    return helper.make_graph(nodes, name, [x], [y], initializer=[w, b])


def tree_ensemble(name, n_inputs, trees, base, index_of):
    """trees: nested {feature, threshold, left, right} | {leaf}; flattened in pre-order."""
    a = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "true", "false")}
    targets = {"treeids": [], "nodeids": [], "weights": []}
    for t, root in enumerate(trees):
        counter = [0]

        def visit(node):
            me = counter[0]
            counter[0] += 1
            a["treeids"].append(t)
            a["nodeids"].append(me)
            i = len(a["modes"])
            if "leaf" in node:
                a["featureids"].append(0)
                a["values"].append(0.0)
                a["modes"].append("LEAF")
                a["true"].append(0)
                a["false"].append(0)
                targets["treeids"].append(t)
                targets["nodeids"].append(me)
                targets["weights"].append(float(node["leaf"]))
                return me
            a["featureids"].append(index_of(node["feature"]))
            a["values"].append(float(node["threshold"]))
            a["modes"].append("BRANCH_LEQ")
            a["true"].append(0)
            a["false"].append(0)
            a["true"][i] = visit(node["left"])
            a["false"][i] = visit(node["right"])
            return me

        visit(root)
    x, y = io(n_inputs, "variable")
    node = helper.make_node(
        "TreeEnsembleRegressor",
        ["features"],
        ["variable"],
        domain="ai.onnx.ml",
        n_targets=1,
        aggregate_function="SUM",
        base_values=[float(base)],
        nodes_treeids=a["treeids"],
        nodes_nodeids=a["nodeids"],
        nodes_featureids=a["featureids"],
        nodes_values=a["values"],
        nodes_modes=a["modes"],
        nodes_truenodeids=a["true"],
        nodes_falsenodeids=a["false"],
        nodes_missing_value_tracks_true=[0] * len(a["modes"]),
        target_ids=[0] * len(targets["nodeids"]),
        target_treeids=targets["treeids"],
        target_nodeids=targets["nodeids"],
        target_weights=targets["weights"],
    )
    return helper.make_graph([node], name, [x], [y])


def random_tree(rng, n_inputs, depth):
    if depth == 0:
        return {"leaf": round(rng.uniform(-1, 1), 3)}
    return {
        "feature": rng.randrange(n_inputs),
        "threshold": round(rng.uniform(0, 50), 2),
        "left": random_tree(rng, n_inputs, depth - 1),
        "right": random_tree(rng, n_inputs, depth - 1),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make-test-models.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(HERE, "test-models.json")) as f:
        specs = json.load(f)
    for name, spec in specs.items():
        path = os.path.join(out, f"{name}.onnx")
        if spec["kind"] == "linear":
            save(linear(name, spec), path)
        elif spec["kind"] == "trees":
            features = spec["features"]
            save(tree_ensemble(name, len(features), spec["trees"], spec["base"], features.index), path, ml=True)
        elif spec["kind"] == "random_trees":
            rng = random.Random(spec["seed"])
            trees = [random_tree(rng, spec["inputs"], spec["depth"]) for _ in range(spec["trees"])]
            save(tree_ensemble(name, spec["inputs"], trees, 0.0, int), path, ml=True)
        else:
            sys.exit(f"{name}: unknown kind {spec['kind']}")
        print(path)


if __name__ == "__main__":
    main()
