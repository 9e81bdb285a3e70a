#!/usr/bin/python3
"""Trains a small CNN on Fashion-MNIST and exports it to ONNX for the audit toolchain.

Usage (from the repository root, with Debian's python3 and its python3-torch / python3-onnx):
    /usr/bin/python3 scripts/train_fashion_mnist.py [--epochs 10] [--data /usr/share/datasets/fashion-mnist]

Data: the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz).
Writes models/fashion-mnist-cnn/{model.onnx,model.json,labels.txt,metrics.json}
and 12 correctly classified test images to samples/fashion-mnist/.

Gray input: the network takes float [N,1,28,28] NCHW in [0,1] (p/255), the grayscale image
itself, and the spec says so (channels 1, channelOrder Gray), so advaudit attacks it in one
channel. (Models made by this script before it trained one-channel models took [N,3,28,28] and
began with the channel mean; scripts/fashion_mnist_to_gray.py turns such a file into this form.)
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_numpy_eval  # noqa: E402

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SEED = 0


def slug(label):
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-").replace("--", "-")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FashionCnn(nn.Module):
    """Gray [N,1,28,28] in [0,1] -> logits [N,10]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)   # 28x28
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)  # 14x14
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)  # 7x7 -> pool -> 3x3
        self.fc1 = nn.Linear(64 * 3 * 3, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def to_gray_tensor(u8):
    """uint8 [N,28,28] -> float [N,1,28,28] = p/255."""
    return torch.from_numpy(u8.astype(np.float32) / 255.0).unsqueeze(1)


def train(model, opt, sched, xtr_t, ytr_t, xte_t, yte, epochs, batch_size, gen):
    """Cross-entropy training in shuffled mini-batches, the test accuracy printed after each epoch; returns seconds."""
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr_t), generator=gen)
        total = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            xb = xtr_t[idx]
            loss = F.cross_entropy(model(xb), ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if sched is not None:
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte_t).argmax(1).numpy() == yte).mean()
        print(f"epoch {epoch + 1}: loss {total / len(perm):.4f} test acc (torch) {acc:.4f} "
              f"[{time.time() - t0:.0f}s]", flush=True)
    return time.time() - t0


def export_and_evaluate(model, out, xte_t, yte):
    """Exports out/model.onnx (opset 13, dynamic batch) and measures the exported graph's test accuracy with the numpy
    interpreter (not torch); returns (path, onnx model, figures)."""
    model.eval()
    with torch.no_grad():
        torch_logits = model(xte_t).numpy()
    torch_acc = float((torch_logits.argmax(1) == yte).mean())

    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      opset_version=13, do_constant_folding=True)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    print("ONNX ops:", sorted({n.op_type for n in m.graph.node}))

    # Accuracy of the exported ONNX graph, evaluated by the numpy interpreter (not torch).
    onnx_logits = np.concatenate([
        onnx_numpy_eval.run(m, {"input": xte_t[i:i + 1000].numpy()})["logits"]
        for i in range(0, len(xte_t), 1000)])
    onnx_pred = onnx_logits.argmax(1)
    onnx_acc = float((onnx_pred == yte).mean())
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    agree = int((onnx_pred == torch_logits.argmax(1)).sum())
    print(f"test accuracy: onnx(numpy) {onnx_acc:.4f}  torch {torch_acc:.4f}  "
          f"max |logit diff| {max_diff:.2e}  argmax agree {agree}/{len(yte)}")

    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return onnx_path, m, {"pred": onnx_pred, "onnxAcc": onnx_acc, "torchAcc": torch_acc, "maxDiff": max_diff,
                          "agree": agree, "sha": sha}


def write_spec(folder, sha):
    """model.json: a one-channel gray model, its sha256."""
    spec = {"name": "fashion-mnist-cnn", "onnxPath": "model.onnx", "inputName": "input",
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
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out", default=os.path.join(root, "models", "fashion-mnist-cnn"))
    ap.add_argument("--samples", default=os.path.join(root, "samples", "fashion-mnist"))
    ap.add_argument("--num-samples", type=int, default=12)
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
    print(f"train {xtr.shape} test {xte.shape}", flush=True)

    xtr_t = to_gray_tensor(xtr)
    ytr_t = torch.from_numpy(ytr)
    xte_t = to_gray_tensor(xte)

    model = FashionCnn()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(SEED)
    train_seconds = train(model, opt, None, xtr_t, ytr_t, xte_t, yte, args.epochs, args.batch_size, gen)
    onnx_path, m, ev = export_and_evaluate(model, args.out, xte_t, yte)
    onnx_pred, onnx_acc, torch_acc, max_diff, sha = ev["pred"], ev["onnxAcc"], ev["torchAcc"], ev["maxDiff"], ev["sha"]
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    write_spec(args.out, sha)

    # Sample images: first correctly classified test image of each class, then the next
    # correctly classified test images in index order until num_samples; named by test index.
    from PIL import Image
    correct = onnx_pred == yte
    chosen = []
    for c in range(10):
        chosen.append(int(np.nonzero(correct & (yte == c))[0][0]))
    for i in np.nonzero(correct)[0]:
        if len(chosen) >= args.num_samples:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    chosen = sorted(chosen[:args.num_samples])
    os.makedirs(args.samples, exist_ok=True)
    samples = []
    for i in chosen:
        name = f"{i:04d}-{slug(LABELS[yte[i]])}.png"
        Image.fromarray(xte[i], mode="L").save(os.path.join(args.samples, name), optimize=False)
        back = np.asarray(Image.open(os.path.join(args.samples, name)))
        assert back.shape == (28, 28) and (back == xte[i]).all()
        x = back[None, None].astype(np.float32) / 255.0
        logits = onnx_numpy_eval.run(m, {"input": x})["logits"][0]
        assert int(logits.argmax()) == yte[i], name
        samples.append({"file": name, "testIndex": i, "label": int(yte[i]), "labelName": LABELS[yte[i]],
                        "predicted": int(logits.argmax())})
        print(f"sample {name}: {LABELS[yte[i]]}")

    import onnx
    metrics = {"seed": SEED, "epochs": args.epochs, "batchSize": args.batch_size, "lr": args.lr,
               "trainSeconds": round(train_seconds, 1),
               "testAccuracyOnnxNumpy": onnx_acc, "testAccuracyTorch": torch_acc,
               "maxAbsLogitDiffOnnxVsTorch": max_diff, "testImages": int(len(yte)),
               "parameters": int(sum(p.numel() for p in model.parameters())),
               "onnxBytes": os.path.getsize(onnx_path), "sha256": sha,
               "torch": torch.__version__, "onnx": onnx.__version__, "samples": samples}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(json.dumps({k: v for k, v in metrics.items() if k != "samples"}, indent=2))


if __name__ == "__main__":
    main()
