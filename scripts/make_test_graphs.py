#!/usr/bin/python3
"""Generates the tiny hand-checkable ONNX graphs used by tests/AttackCore.Tests.

Usage (from the repository root):
    /usr/bin/python3 scripts/make_test_graphs.py [--out tests/AttackCore.Tests/TestModels]

Built with onnx.helper only (no torch): opset 13, ir_version 7. Deterministic: running it again
produces byte-identical files. Each graph is checked with onnx.checker and run once with the
numpy interpreter in scripts/onnx_numpy_eval.py against a direct numpy computation.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_numpy_eval  # noqa: E402

OPSET = 13
IR_VERSION = 7


def weights():
    rng = np.random.RandomState(0)
    w = (rng.standard_normal((192, 4)) * 0.1).astype(np.float32)
    b = np.array([0.1, -0.2, 0.3, -0.4], dtype=np.float32)
    return w, b


def make_model(name, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, producer_name="make_test_graphs.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def linear(name, batch, final="none", reshape=False):
    w, b = weights()
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, 8, 8])
    out_name = "probs" if final == "softmax" else "logits"
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [batch, 4])
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")]
    if reshape:
        inits.append(numpy_helper.from_array(np.array([1, 192], dtype=np.int64), "shape"))
        nodes = [helper.make_node("Reshape", ["input", "shape"], ["flat"])]
    else:
        nodes = [helper.make_node("Flatten", ["input"], ["flat"], axis=1)]
    nodes.append(helper.make_node("MatMul", ["flat", "W"], ["mm"]))
    if final == "softmax":
        nodes.append(helper.make_node("Add", ["mm", "B"], ["z"]))
        nodes.append(helper.make_node("Softmax", ["z"], ["probs"], axis=1))
    else:
        nodes.append(helper.make_node("Add", ["mm", "B"], ["logits"]))
    return make_model(name, nodes, [x], [y], inits)


def identity():
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 48])
    return make_model("identity_3x4x4", [helper.make_node("Flatten", ["input"], ["logits"], axis=1)],
                      [x], [y], [])


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(root, "tests", "AttackCore.Tests", "TestModels"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    w, b = weights()
    models = {
        "linear_3x8x8_4.onnx": linear("linear_3x8x8_4", "N"),
        "linear_3x8x8_4_batch1.onnx": linear("linear_3x8x8_4_batch1", 1),
        "linear_3x8x8_4_softmax.onnx": linear("linear_3x8x8_4_softmax", "N", final="softmax"),
        "identity_3x4x4.onnx": identity(),
        "reshape_batch1_3x8x8_4.onnx": linear("reshape_batch1_3x8x8_4", 1, reshape=True),
    }

    # Run each graph with the numpy interpreter and compare with the direct computation.
    rng = np.random.RandomState(1)
    for fname, m in models.items():
        path = os.path.join(args.out, fname)
        onnx.save(m, path)
        onnx.checker.check_model(path, full_check=True)
        m2 = onnx.load(path)
        batch = 1 if ("batch1" in fname) else 2
        if fname.startswith("identity"):
            x = rng.rand(batch, 3, 4, 4).astype(np.float32)
            got = onnx_numpy_eval.run(m2, {"input": x})["logits"]
            assert np.array_equal(got, x.reshape(batch, 48))
        else:
            x = rng.rand(batch, 3, 8, 8).astype(np.float32)
            out = m2.graph.output[0].name
            got = onnx_numpy_eval.run(m2, {"input": x})[out]
            z = x.reshape(batch, 192).astype(np.float64) @ w.astype(np.float64) + b
            if out == "probs":
                z = np.exp(z - z.max(1, keepdims=True))
                z /= z.sum(1, keepdims=True)
            assert np.allclose(got, z, atol=1e-6), fname
        print(f"{fname}: {os.path.getsize(path)} bytes, ok (batch {batch})")

    # An input of all 0.5 is a handy hand check: logits = 0.5 * column sums of W + b.
    half = 0.5 * w.astype(np.float64).sum(axis=0) + b
    # One W row per line; float32 values written as the shortest decimal that round-trips.
    def num(v):
        return repr(float(v))
    rows = ",\n    ".join("[" + ", ".join(num(v) for v in row) + "]" for row in w)
    text = ("{\n"
            '  "description": "logits[n,k] = sum_i flat[n,i] * W[i][k] + B[k]; flat = input[n] flattened in '
            'C order (c,h,w): i = c*64 + h*8 + w. W: numpy RandomState(0).standard_normal((192,4))*0.1 as float32.",\n'
            '  "shapeW": [192, 4],\n'
            f'  "W": [\n    {rows}\n  ],\n'
            f'  "B": [{", ".join(num(v) for v in b)}],\n'
            f'  "logitsForAllHalfInput": [{", ".join(num(v) for v in half)}]\n'
            "}\n")
    json.loads(text)
    with open(os.path.join(args.out, "linear_3x8x8_4.weights.json"), "w") as f:
        f.write(text)
    print("logits for an all-0.5 input:", half)


if __name__ == "__main__":
    main()
