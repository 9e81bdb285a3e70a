#!/usr/bin/python3
"""Trains a second, differently built Fashion-MNIST classifier: a surrogate of the bundled CNN.

Usage (from the repository root, with Debian's python3 and its python3-torch / python3-onnx):
    /usr/bin/python3 scripts/train_fashion_mnist_surrogate.py [--epochs 8] [--data /usr/share/datasets/fashion-mnist]

The bundled model (models/fashion-mnist-cnn, scripts/train_fashion_mnist.py) is three 3x3 convolutions
each followed by max pooling. This one has no pooling at all: a 5x5 and a 3x3 convolution with stride 2
do the down-sampling, with other widths, another seed and another batch size, so that it is a surrogate
an attacker could really own (same task and data, not the same network). It is used to test and
benchmark surrogate-based attacks (transfer, gfcs) against the bundled model.

Same input convention as the bundled model: float [N,1,28,28] NCHW, gray, p/255 in [0,1], logits [N,10].
Writes models/fashion-mnist-strided/{model.onnx,model.json,labels.txt,metrics.json}; no sample images
(the bundled model's samples/fashion-mnist are the test images of both).
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_mnist import LABELS, export_and_evaluate, read_idx, to_gray_tensor, train  # noqa: E402

NAME = "fashion-mnist-strided"
SEED = 1


class FashionStridedCnn(nn.Module):
    """Gray [N,1,28,28] in [0,1] -> logits [N,10]; strided convolutions, no pooling."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, stride=2, padding=2)   # 28x28 -> 14x14
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)  # 14x14 -> 7x7
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def write_spec(folder, sha):
    """model.json: a one-channel gray model like the bundled one, and its sha256 (the spec format has no free text;
    the test accuracy is in metrics.json and the model's README)."""
    spec = {"name": NAME, "onnxPath": "model.onnx", "inputName": "input",
            "outputName": "logits", "inputSize": 28, "resizeTo": 28, "layout": "Nchw",
            "channels": 1, "channelOrder": "Gray", "grayConversion": "Bt601",
            "scaling": "ZeroToOne", "numClasses": 10,
            "backgroundOffset": 0, "output": "Logits", "labelsPath": "labels.txt", "sha256": sha}
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default=os.path.join(root, "models", NAME))
    args = ap.parse_args()

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    xtr = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    ytr = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    yte = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    xtr_t, ytr_t, xte_t = to_gray_tensor(xtr), torch.from_numpy(ytr), to_gray_tensor(xte)

    model = FashionStridedCnn()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = torch.Generator().manual_seed(SEED)
    train_seconds = train(model, opt, sched, xtr_t, ytr_t, xte_t, yte, args.epochs, args.batch_size, gen)
    onnx_path, _, ev = export_and_evaluate(model, args.out, xte_t, yte)
    sha = ev["sha"]

    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    write_spec(args.out, sha)

    import onnx
    metrics = {"seed": SEED, "epochs": args.epochs, "batchSize": args.batch_size, "lr": args.lr,
               "schedule": "cosine", "trainSeconds": round(train_seconds, 1),
               "testAccuracyOnnxNumpy": ev["onnxAcc"], "testAccuracyTorch": ev["torchAcc"],
               "maxAbsLogitDiffOnnxVsTorch": ev["maxDiff"], "argmaxAgree": ev["agree"], "testImages": int(len(yte)),
               "parameters": int(sum(p.numel() for p in model.parameters())),
               "onnxBytes": os.path.getsize(onnx_path), "sha256": sha,
               "torch": torch.__version__, "onnx": onnx.__version__}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
