#!/usr/bin/python3
"""Re-exports the bundled Fashion-MNIST CNN as a true one-channel model.

Usage (from the repository root, with Debian's python3 and python3-onnx, python3-numpy, python3-pil):
    /usr/bin/python3 scripts/fashion_mnist_to_gray.py [--rgb models/fashion-mnist-cnn/model.onnx]
        [--data /usr/share/datasets/fashion-mnist]

The RGB export of scripts/train_fashion_mnist.py (before it trained one-channel models) took
[N,3,28,28] and began with ReduceMean over the channel axis, so it classified the channel mean of
gray replicated to three channels. Dropping that node and declaring the input [N,1,28,28] gives the
same classifier on the gray image itself, with the same weights: the mean of three equal values is
that value. The script checks this on all 10,000 test images (logits of the new graph on the gray
images against the old graph on the images replicated to RGB, both run by the numpy interpreter),
then writes model.onnx, model.json and metrics.json beside it and rewrites the samples as 8-bit
grayscale PNGs (same pixel values).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_numpy_eval  # noqa: E402
from train_fashion_mnist import read_idx, write_spec  # noqa: E402


def to_gray(rgb):
    """The RGB graph without its leading channel mean, input declared [N,1,28,28]."""
    gray = onnx.ModelProto()
    gray.CopyFrom(rgb)
    graph = gray.graph
    first = graph.node[0]
    if first.op_type != "ReduceMean" or list(first.input) != ["input"]:
        raise SystemExit(f"expected the RGB export (first node ReduceMean of 'input'), got {first.op_type}")
    axes = [list(a.ints) for a in first.attribute if a.name == "axes"]
    keep = [a.i for a in first.attribute if a.name == "keepdims"]
    if axes != [[1]] or keep not in ([], [1]):
        raise SystemExit(f"the ReduceMean is not over the channel axis with keepdims: axes {axes}, keepdims {keep}")
    mean_out = first.output[0]
    del graph.node[0]
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == mean_out:
                node.input[i] = "input"
    graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1
    onnx.checker.check_model(gray)
    return gray


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = os.path.join(root, "models", "fashion-mnist-cnn")
    ap = argparse.ArgumentParser()
    ap.add_argument("--rgb", default=os.path.join(folder, "model.onnx"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=folder)
    ap.add_argument("--samples", default=os.path.join(root, "samples", "fashion-mnist"))
    args = ap.parse_args()

    rgb = onnx.load(args.rgb)
    gray = to_gray(rgb)

    xte = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    x1 = (xte.astype(np.float32) / 255.0)[:, None]
    x3 = np.repeat(x1, 3, axis=1)
    gray_logits = np.concatenate([onnx_numpy_eval.run(gray, {"input": x1[i:i + 1000]})["logits"] for i in range(0, len(x1), 1000)])
    rgb_logits = np.concatenate([onnx_numpy_eval.run(rgb, {"input": x3[i:i + 1000]})["logits"] for i in range(0, len(x3), 1000)])
    acc_gray = float((gray_logits.argmax(1) == yte).mean())
    acc_rgb = float((rgb_logits.argmax(1) == yte).mean())
    max_diff = float(np.abs(gray_logits - rgb_logits).max())
    agree = int((gray_logits.argmax(1) == rgb_logits.argmax(1)).sum())
    print(f"test accuracy: gray {acc_gray:.4f} rgb {acc_rgb:.4f}  max |logit diff| {max_diff:.2e}  argmax agree {agree}/{len(yte)}")
    if agree != len(yte) or acc_gray != acc_rgb:
        raise SystemExit("the one-channel graph does not classify like the RGB one")

    onnx_path = os.path.join(args.out, "model.onnx")
    onnx.save(gray, onnx_path)
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    write_spec(args.out, sha)

    metrics_path = os.path.join(args.out, "metrics.json")
    with open(metrics_path) as f:
        metrics = json.load(f)
    rgb_sha = metrics["sha256"]
    metrics.update({
        "testAccuracyOnnxNumpy": acc_gray,
        "onnxBytes": os.path.getsize(onnx_path),
        "sha256": sha,
        "reexportedFromRgb": {"sha256": rgb_sha, "testAccuracyOnnxNumpy": acc_rgb,
                              "maxAbsLogitDiffGrayVsRgb": max_diff, "argmaxAgree": agree},
    })

    from PIL import Image
    for sample in metrics["samples"]:
        path = os.path.join(args.samples, sample["file"])
        pixels = np.asarray(Image.open(path).convert("RGB"))
        if not (pixels[:, :, 0] == pixels[:, :, 1]).all() or not (pixels[:, :, 0] == pixels[:, :, 2]).all():
            raise SystemExit(f"{path} is not gray")
        Image.fromarray(pixels[:, :, 0], mode="L").save(path, optimize=False)
        back = np.asarray(Image.open(path))
        assert back.shape == (28, 28) and (back == pixels[:, :, 0]).all()
        logits = onnx_numpy_eval.run(gray, {"input": back[None, None].astype(np.float32) / 255.0})["logits"][0]
        assert int(logits.argmax()) == sample["label"], path
        sample["predicted"] = int(logits.argmax())

    with open(metrics_path, "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha}) and {len(metrics['samples'])} gray samples")


if __name__ == "__main__":
    main()
