#!/usr/bin/python3
"""Generates the one-operator ONNX graphs whose reverse pass tests/AttackCore.Tests/Gradients checks.

Usage (from the repository root):
    /usr/bin/python3 scripts/make_gradient_test_graphs.py [--out tests/AttackCore.Tests/TestModels/gradients]

Built with onnx.helper only (python3-onnx 1.12), checked with onnx.checker, deterministic (running it again
gives byte-identical files). Every graph has static input shapes and one or more outputs; cases.json lists,
per graph, its inputs and how the C# test draws their values:
  - "uniform": U(-1, 1);
  - "distinct": a random permutation of an evenly spaced grid over [lo, hi], shifted off the grid points
    0, +-0.5, +-3 so that no value sits on a kink (Relu, Clip, HardSwish, MaxPool and TopK choices) and
    every pair is more than the finite-difference step apart;
  - "positive": U(0.5, 2) (denominators, Log).
float64 is used where ONNX Runtime's CPU kernels exist for the op and its backward ops (the finite-difference
tolerance is then tight); Conv, pooling (their backward uses ConvTranspose) and a few activations are float32
only in ONNX Runtime and get a looser, stated tolerance in cases.json.
The graphs at opset 11 exercise the opset upgrade (attribute axes, the old Softmax meaning).
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

D = TensorProto.DOUBLE
F = TensorProto.FLOAT
NP = {D: np.float64, F: np.float32}
CASES = []


def save(out, name, nodes, inputs, outputs, inits=(), dtype=D, opset=13, kinds=None, tolerance=None, step=None):
    """inputs: list of (name, shape); outputs: list of names. kinds: per-input value kind (default uniform)."""
    kinds = kinds or {}
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, dtype, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, dtype, None) for n in outputs],
        initializer=list(inits))
    model = helper.make_model(graph, producer_name="make_gradient_test_graphs.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    # Output shapes are left to shape inference (the checker wants one); intermediate value_info is dropped so
    # that the file carries only what the test graph states.
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    del model.graph.value_info[:]
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(out, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    CASES.append({
        "name": name,
        "file": name + ".onnx",
        "dtype": "float64" if dtype == D else "float32",
        "inputs": [{"name": n, "shape": list(s), "kind": kinds.get(n, "uniform")} for n, s in inputs],
        # Relative tolerance of the directional derivative: float64 differences are exact to ~1e-9; float32
        # ones, with a step of 1e-3 on piecewise-linear ops, to a few 1e-4.
        "tolerance": tolerance or (1e-6 if dtype == D else 2e-3),
        # Finite-difference step: small in float64, 1e-3 in float32 (kinks are further apart than that).
        "step": step or (1e-6 if dtype == D else 1e-3),
    })


def const(name, array, dtype):
    return numpy_helper.from_array(np.asarray(array, dtype=NP[dtype]), name)


def i64(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


def unary(out, op, dtype, kind="distinct", opset=13, **attrs):
    name = op.lower()
    save(out, name, [node(op, ["X"], ["Y"], **attrs)], [("X", [2, 3, 4, 4])], ["Y"],
         dtype=dtype, opset=opset, kinds={"X": kind})


def elementwise(out):
    # Broadcasting with both operands from the input: B is a reduction of X itself.
    for op in ["Add", "Mul", "Sub", "Div"]:
        nodes = [node("ReduceMean", ["X"], ["B"], axes=[2], keepdims=1), node(op, ["X", "B"], ["Y"])]
        save(out, "broadcast_self_" + op.lower(), nodes, [("X", [2, 3, 4, 5])], ["Y"],
             kinds={"X": "positive"} if op == "Div" else None)
    # Rank broadcasting between two inputs, and a scalar-like [1] operand.
    save(out, "broadcast_two_inputs", [node("Mul", ["A", "B"], ["M"]), node("Sub", ["M", "C"], ["S"]),
                                       node("Div", ["S", "P"], ["Y"])],
         [("A", [2, 3, 4, 5]), ("B", [3, 1, 5]), ("C", [1]), ("P", [4, 1])], ["Y"], kinds={"P": "positive"})
    save(out, "mul_self", [node("Mul", ["X", "X"], ["Y"])], [("X", [2, 3])], ["Y"])
    save(out, "sum_three", [node("Sum", ["A", "B", "A"], ["Y"])], [("A", [2, 3, 4]), ("B", [3, 1])], ["Y"])
    unary(out, "Relu", D)
    unary(out, "Sigmoid", D, kind="uniform")
    unary(out, "Tanh", D, kind="uniform")
    unary(out, "Exp", D, kind="uniform")
    unary(out, "Log", D, kind="positive")
    unary(out, "Neg", D, kind="uniform")
    unary(out, "LeakyRelu", F, alpha=0.1)
    unary(out, "HardSigmoid", F, kind="wide", alpha=0.25, beta=0.4)
    unary(out, "HardSwish", F, kind="wide", opset=14)  # HardSwish exists from opset 14
    save(out, "clip_bounds", [node("Clip", ["X", "lo", "hi"], ["Y"])], [("X", [2, 3, 4, 4])], ["Y"],
         [const("lo", -0.5, F), const("hi", 0.5, F)], dtype=F, kinds={"X": "distinct"})
    save(out, "clip_min_only", [node("Clip", ["X", "lo"], ["Y"])], [("X", [2, 3, 4, 4])], ["Y"],
         [const("lo", 0.0, F)], dtype=F, kinds={"X": "distinct"})
    save(out, "identity_dropout_cast", [node("Identity", ["X"], ["I"]), node("Dropout", ["I"], ["Dr"]),
                                        node("Cast", ["Dr"], ["C32"], to=F), node("Cast", ["C32"], ["Y"], to=D)],
         [("X", [2, 5])], ["Y"], tolerance=1e-5, step=1e-2)  # a float32 intermediate: a step far above its rounding
    rng = np.random.RandomState(3)
    save(out, "batchnorm", [node("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], epsilon=1e-3)],
         [("X", [2, 3, 4, 4])], ["Y"],
         [const("s", rng.uniform(0.5, 2, 3), D), const("b", rng.uniform(-1, 1, 3), D),
          const("m", rng.uniform(-1, 1, 3), D), const("v", rng.uniform(0.5, 2, 3), D)])


def conv(out):
    rng = np.random.RandomState(5)

    def w(shape):
        return const("W", rng.standard_normal(shape) * 0.3, F)

    cases = [
        ("conv_pads", [2, 3, 7, 7], [4, 3, 3, 3], dict(pads=[1, 1, 1, 1])),
        ("conv_strided_remainder", [2, 3, 8, 8], [4, 3, 3, 3], dict(strides=[2, 2])),
        ("conv_strided_asym_pads", [1, 2, 9, 8], [3, 2, 3, 2], dict(strides=[2, 3], pads=[1, 0, 0, 1])),
        ("conv_dilated", [2, 2, 9, 9], [3, 2, 3, 3], dict(dilations=[2, 2], pads=[1, 2, 1, 2])),
        ("conv_depthwise", [2, 3, 7, 7], [3, 1, 3, 3], dict(group=3, pads=[1, 1, 1, 1], strides=[2, 2])),
        ("conv_grouped", [2, 4, 6, 6], [6, 2, 3, 3], dict(group=2)),
        ("conv_same_upper", [2, 3, 7, 7], [4, 3, 3, 3], dict(auto_pad="SAME_UPPER", strides=[2, 2])),
        ("conv_same_lower", [2, 3, 8, 8], [4, 3, 4, 4], dict(auto_pad="SAME_LOWER", strides=[2, 2])),
        ("conv_valid_1x1", [2, 3, 5, 5], [4, 3, 1, 1], dict(auto_pad="VALID")),
        ("conv_depthwise_stride1", [2, 3, 7, 7], [3, 1, 3, 3], dict(group=3, pads=[1, 1, 1, 1])),
        ("conv_depthwise_multiplier", [2, 3, 6, 6], [6, 1, 3, 3], dict(group=3, pads=[1, 0, 1, 2])),
    ]
    for name, xs, ws, attrs in cases:
        inits = [w(ws), const("Bias", rng.standard_normal(ws[0]) * 0.1, F)]
        save(out, name, [node("Conv", ["X", "W", "Bias"], ["Y"], **attrs)], [("X", xs)], ["Y"], inits, dtype=F)
    # Activations of a convolution layer, whose masks are read from the output (Conv then Relu, Conv then Clip).
    inits = [w([4, 3, 3, 3]), const("Bias", rng.standard_normal(4) * 0.1, F)]
    save(out, "conv_relu", [node("Conv", ["X", "W", "Bias"], ["C"], pads=[1, 1, 1, 1]), node("Relu", ["C"], ["Y"])],
         [("X", [2, 3, 6, 6])], ["Y"], inits, dtype=F, kinds={"X": "distinct"})
    inits = [w([4, 3, 3, 3]), const("Bias", rng.standard_normal(4) * 0.1, F), const("lo", -0.25, F), const("hi", 0.3, F)]
    # Few outputs, so that a finite-difference step seldom crosses a bound (with the seeded draw of the test, none does).
    save(out, "conv_clip", [node("Conv", ["X", "W", "Bias"], ["C"], pads=[1, 1, 1, 1]), node("Clip", ["C", "lo", "hi"], ["Y"])],
         [("X", [1, 3, 4, 4])], ["Y"], inits, dtype=F, kinds={"X": "distinct"})


def pool(out):
    cases = [
        ("maxpool_overlap", "MaxPool", [2, 2, 9, 9], dict(kernel_shape=[3, 3], strides=[2, 2])),
        ("maxpool_pads_stride1", "MaxPool", [1, 2, 6, 6], dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])),
        ("maxpool_ceil", "MaxPool", [1, 2, 7, 7], dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)),
        ("maxpool_dilated", "MaxPool", [1, 2, 7, 7], dict(kernel_shape=[2, 2], dilations=[2, 2])),
        ("averagepool_pads_include", "AveragePool", [2, 2, 7, 7],
         dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)),
        ("averagepool_pads_exclude", "AveragePool", [2, 2, 7, 7],
         dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)),
        ("averagepool_asym_pads_exclude", "AveragePool", [1, 2, 6, 5],
         dict(kernel_shape=[3, 2], strides=[1, 2], pads=[2, 0, 0, 1], count_include_pad=0)),
        ("averagepool_ceil_include", "AveragePool", [1, 2, 8, 8],
         dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, count_include_pad=1)),
        ("averagepool_ceil_exclude", "AveragePool", [1, 2, 8, 8],
         dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, pads=[1, 1, 0, 0], count_include_pad=0)),
        ("averagepool_same_upper", "AveragePool", [1, 2, 7, 7],
         dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")),
        ("averagepool_stride1_include", "AveragePool", [2, 2, 6, 6],
         dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)),
        ("averagepool_stride1_valid", "AveragePool", [2, 2, 6, 5], dict(kernel_shape=[3, 2])),
    ]
    for name, op, xs, attrs in cases:
        save(out, name, [node(op, ["X"], ["Y"], **attrs)], [("X", xs)], ["Y"], dtype=F, kinds={"X": "distinct"})
    save(out, "globalaveragepool", [node("GlobalAveragePool", ["X"], ["Y"])], [("X", [2, 3, 5, 4])], ["Y"], dtype=F)
    # Ties: every window of this pool sees equal values somewhere; the C# test feeds its own tied input.
    save(out, "maxpool_ties", [node("MaxPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[1, 1])],
         [("X", [1, 1, 4, 4])], ["Y"], dtype=F, kinds={"X": "ties"})


def shape_ops(out):
    save(out, "reducemean_keep0", [node("ReduceMean", ["X"], ["Y"], axes=[2, -1], keepdims=0)], [("X", [2, 3, 4, 5])], ["Y"])
    save(out, "reducemean_all", [node("ReduceMean", ["X"], ["Y"])], [("X", [2, 3, 4])], ["Y"])
    save(out, "reducesum_axes_input", [node("ReduceSum", ["X", "axes"], ["Y"], keepdims=1)], [("X", [2, 3, 4])], ["Y"],
         [i64("axes", [1])])
    save(out, "concat_split", [node("Concat", ["A", "B"], ["C"], axis=1),
                               node("Split", ["C", "sizes"], ["Y1", "Y2", "Y3"], axis=1)],
         [("A", [2, 3, 4]), ("B", [2, 5, 4])], ["Y1", "Y3"], [i64("sizes", [2, 4, 2])])
    save(out, "concat_axis0_same_input", [node("Concat", ["A", "A"], ["Y"], axis=0)], [("A", [2, 3])], ["Y"])
    save(out, "slice_steps", [node("Slice", ["X", "st", "en", "ax", "sp"], ["Y"])], [("X", [2, 5, 6])], ["Y"],
         [i64("st", [1, -1]), i64("en", [5, -7]), i64("ax", [1, 2]), i64("sp", [2, -2])])
    save(out, "pad_constant", [node("Pad", ["X", "pads", "cv"], ["Y"], mode="constant")], [("X", [2, 3, 4])], ["Y"],
         [i64("pads", [0, 1, 2, 0, 2, -1]), const("cv", 0.5, D)])
    save(out, "pad_constant_grow", [node("Pad", ["X", "pads", "cv"], ["Y"], mode="constant")], [("X", [1, 2, 4, 5])], ["Y"],
         [i64("pads", [0, 0, 2, 1, 0, 0, 1, 3]), const("cv", 0.5, D)])
    save(out, "pad_reflect", [node("Pad", ["X", "pads"], ["Y"], mode="reflect")], [("X", [1, 2, 4, 5])], ["Y"],
         [i64("pads", [0, 0, 2, 1, 0, 0, 1, 3])])
    save(out, "pad_edge", [node("Pad", ["X", "pads"], ["Y"], mode="edge")], [("X", [1, 2, 3, 3])], ["Y"],
         [i64("pads", [0, 0, 1, 2, 0, 0, 2, 1])])
    save(out, "reshape_flatten_squeeze", [
        node("Reshape", ["X", "shape"], ["R"]), node("Flatten", ["R"], ["Fl"], axis=2),
        node("Unsqueeze", ["Fl", "ax0"], ["U"]), node("Squeeze", ["U", "ax0"], ["Y"])],
        [("X", [2, 3, 4])], ["Y"], [i64("shape", [2, 2, -1, 3]), i64("ax0", [0])])
    save(out, "transpose", [node("Transpose", ["X"], ["T"], perm=[2, 0, 3, 1]), node("Transpose", ["T"], ["Y"])],
         [("X", [2, 3, 4, 5])], ["Y"])
    save(out, "expand", [node("Expand", ["X", "shape"], ["Y"])], [("X", [3, 1])], ["Y"], [i64("shape", [2, 3, 4])])
    save(out, "gather_repeats", [node("Gather", ["X", "idx"], ["Y"], axis=1)], [("X", [2, 4, 3])], ["Y"],
         [i64("idx", [[2, 0], [0, -1]])])
    save(out, "gatherelements", [node("GatherElements", ["X", "idx"], ["Y"], axis=1)], [("X", [2, 4])], ["Y"],
         [i64("idx", [[3, 3, 0], [1, 2, 1]])])


def matrix(out):
    rng = np.random.RandomState(7)
    for ta in (0, 1):
        for tb in (0, 1):
            a_shape = [4, 3] if ta else [3, 4]
            b_shape = [5, 4] if tb else [4, 5]
            save(out, f"gemm_ta{ta}_tb{tb}", [node("Gemm", ["A", "B", "C"], ["Y"], alpha=0.7, beta=1.3, transA=ta, transB=tb)],
                 [("A", a_shape), ("B", b_shape), ("C", [5])], ["Y"])
    save(out, "gemm_constant_weights", [node("Gemm", ["A", "W"], ["Y"], transB=1)], [("A", [2, 6])], ["Y"],
         [const("W", rng.standard_normal((3, 6)), D)])
    save(out, "matmul_batched_broadcast", [node("MatMul", ["A", "B"], ["Y"])], [("A", [2, 1, 3, 4]), ("B", [5, 4, 2])], ["Y"])
    save(out, "matmul_2d", [node("MatMul", ["A", "W"], ["Y"])], [("A", [3, 4])], ["Y"], [const("W", rng.standard_normal((4, 2)), D)])
    save(out, "softmax_axis1", [node("Softmax", ["X"], ["Y"], axis=1)], [("X", [2, 5, 3])], ["Y"])
    save(out, "logsoftmax_last", [node("LogSoftmax", ["X"], ["Y"])], [("X", [2, 3, 5])], ["Y"])


def old_opset(out):
    # Opset 11 forms: axes and split as attributes, Softmax over the flattened trailing axes.
    save(out, "opset11_forms", [
        node("Unsqueeze", ["X"], ["U"], axes=[0]), node("Squeeze", ["U"], ["S"], axes=[0]),
        node("Split", ["S"], ["P1", "P2"], axis=2, split=[1, 3]), node("ReduceSum", ["P2"], ["R"], axes=[2], keepdims=1),
        node("Softmax", ["S"], ["Sm"], axis=1), node("Mul", ["Sm", "R"], ["Y1"]), node("Identity", ["P1"], ["Y2"])],
        [("X", [2, 3, 4])], ["Y1", "Y2"], opset=11)


def refused(out):
    # Erf has no gradient rule; Cast to int64 on the path would cut the gradient; a graph whose output ignores X.
    save(out, "refuse_erf", [node("Relu", ["X"], ["R"]), node("Erf", ["R"], ["Y"], name="the_erf")],
         [("X", [2, 3])], ["Y"], dtype=F)
    save(out, "refuse_cast_to_int", [node("Cast", ["X"], ["I"], to=TensorProto.INT64, name="to_int"),
                                     node("Cast", ["I"], ["Y"], to=F)], [("X", [2, 3])], ["Y"], dtype=F)
    save(out, "refuse_shape_only", [node("Shape", ["X"], ["S"]), node("Cast", ["S"], ["Y"], to=F)],
         [("X", [2, 3])], ["Y"], dtype=F)


def classifier_with_erf(out):
    """A classifier-shaped model ([N,3,4,4] in, [N,4] logits out) with an Erf on the path: loadable by the
    classifier, refused by the gradient model. Not a cases.json entry."""
    rng = np.random.RandomState(11)
    nodes = [node("Flatten", ["input"], ["f"]), node("Gemm", ["f", "W"], ["h"], transB=1),
             node("Erf", ["h"], ["logits"], name="head_erf")]
    graph = helper.make_graph(nodes, "classifier_with_erf",
                              [helper.make_tensor_value_info("input", F, ["N", 3, 4, 4])],
                              [helper.make_tensor_value_info("logits", F, ["N", 4])],
                              initializer=[const("W", rng.standard_normal((4, 48)) * 0.1, F)])
    model = helper.make_model(graph, producer_name="make_gradient_test_graphs.py", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    with open(os.path.join(out, "classifier_with_erf.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def classifier_nhwc(out):
    """A classifier taking NHWC input ([N,8,8,3] in, [N,4] logits out, a Tanh in between), to test the
    preprocessing inside the derived graph (layout, channel order, mean/std). Not a cases.json entry."""
    rng = np.random.RandomState(13)
    nodes = [node("Flatten", ["input"], ["f"]), node("Gemm", ["f", "W", "B"], ["h"], transB=1),
             node("Tanh", ["h"], ["t"]), node("Gemm", ["t", "W2"], ["logits"], transB=1)]
    graph = helper.make_graph(nodes, "classifier_nhwc",
                              [helper.make_tensor_value_info("input", F, ["N", 8, 8, 3])],
                              [helper.make_tensor_value_info("logits", F, ["N", 4])],
                              initializer=[const("W", rng.standard_normal((6, 192)) * 0.1, F),
                                           const("B", rng.standard_normal(6) * 0.1, F),
                                           const("W2", rng.standard_normal((4, 6)), F)])
    model = helper.make_model(graph, producer_name="make_gradient_test_graphs.py", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    with open(os.path.join(out, "classifier_nhwc.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join("tests", "AttackCore.Tests", "TestModels", "gradients"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    elementwise(args.out)
    conv(args.out)
    pool(args.out)
    shape_ops(args.out)
    matrix(args.out)
    old_opset(args.out)
    refused(args.out)
    classifier_with_erf(args.out)
    classifier_nhwc(args.out)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=1)
        f.write("\n")
    print(f"{len(CASES)} graphs written to {args.out}")


if __name__ == "__main__":
    main()
