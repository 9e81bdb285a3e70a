#!/usr/bin/python3
"""Runs the reference Square Attack (github.com/max-andr/square-attack, attack.py) on the bundled
one-channel Fashion-MNIST model, for the comparison rows of `bench gray` (bench/RESULTS.md).

Usage (from the repository root; Debian's python3-torch, python3-onnx, python3-numpy and the
dataset-fashion-mnist package):
    /usr/bin/python3 scripts/square_reference_fashion.py --reference DIR [--images 100] [--n-iter 1000]

DIR holds the reference's attack.py and utils.py (a checkout of the repository). Its attack.py imports
the repository's data and models modules (TensorFlow datasets and models); they are not needed here
and are replaced by empty modules. The model is the ONNX file's weights in torch ops (float32), the
images the first test images as p/255, [N,1,28,28]; the attack runs untargeted with the margin loss,
seed 0 (the reference's np.random.seed(0)), only on the correctly classified images, as its main does.
"""
import argparse
import importlib
import os
import sys
import types

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_mnist import read_idx  # noqa: E402


class Model:
    """The bundled CNN from its ONNX weights, with the reference's predict/loss interface (models.Model)."""

    def __init__(self, path):
        m = onnx.load(path)
        self.w = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}

    def predict(self, x):
        w = self.w
        with torch.no_grad():
            t = torch.from_numpy(np.asarray(x, dtype=np.float32))
            t = F.max_pool2d(F.relu(F.conv2d(t, w["conv1.weight"], w["conv1.bias"], padding=1)), 2)
            t = F.max_pool2d(F.relu(F.conv2d(t, w["conv2.weight"], w["conv2.bias"], padding=1)), 2)
            t = F.max_pool2d(F.relu(F.conv2d(t, w["conv3.weight"], w["conv3.bias"], padding=1)), 2)
            t = torch.flatten(t, 1)
            t = F.relu(F.linear(t, w["fc1.weight"], w["fc1.bias"]))
            return F.linear(t, w["fc2.weight"], w["fc2.bias"]).numpy()

    def loss(self, y, logits, targeted=False, loss_type="margin_loss"):
        # models.Model.loss of the reference, verbatim in substance.
        preds_correct_class = (logits * y).sum(1, keepdims=True)
        diff = preds_correct_class - logits
        diff[y.astype(bool)] = np.inf
        margin = diff.min(1, keepdims=True)
        return (margin * -1 if targeted else margin).flatten()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--model", default=os.path.join(root, "models", "fashion-mnist-cnn", "model.onnx"))
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--n-iter", type=int, default=1000)
    args = ap.parse_args()

    sys.modules["data"] = types.ModuleType("data")
    sys.modules["models"] = types.ModuleType("models")
    sys.path.insert(0, args.reference)
    attack = importlib.import_module("attack")
    utils = importlib.import_module("utils")
    attack.log = types.SimpleNamespace(print=lambda message: None)
    torch.set_num_threads(2)

    x = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))[:args.images].astype(np.float32)[:, None] / 255.0
    y = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))[:args.images].astype(np.int64)
    model = Model(args.model)
    corr = model.predict(x).argmax(1) == y
    onehot = utils.dense_to_onehot(y, n_cls=10)
    print(f"{int(corr.sum())} of {len(y)} classified correctly")
    for name, fn, eps, p in [("linf-0.1", attack.square_attack_linf, 0.1, 0.05), ("l2-1.5", attack.square_attack_l2, 1.5, 0.1)]:
        n_queries, x_adv = fn(model, x, onehot, corr, eps, args.n_iter, p, os.devnull, False, "margin_loss")
        margin = model.loss(onehot[corr], model.predict(x_adv), False)
        fooled = margin <= 0
        q = n_queries[fooled]
        rounded = np.round(np.clip(x_adv, 0, 1) * 255) / 255
        fooled_8bit = int((model.predict(rounded).argmax(1) != y[corr]).sum())
        print(f"| {name} | reference, 1 channel (this run) | {int(fooled.sum())}/{int(corr.sum())} | {fooled_8bit}/{int(corr.sum())} (rounded to 8 bits) "
              f"| {q.mean():.1f} | {np.median(q):.1f} |")


if __name__ == "__main__":
    main()
