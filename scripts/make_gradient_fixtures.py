#!/usr/bin/python3
"""Reference gradients from PyTorch autograd for the whole-model gradient tests (tests/AttackCore.Tests/Gradients).

Usage (from the repository root; Debian's python3-torch and python3-onnx):
    /usr/bin/python3 scripts/make_gradient_fixtures.py [--out tests/AttackCore.Tests/TestModels/gradients/fixtures] [--models fashion-mnist-cnn]

Takes about 15 minutes on two cores (most MobileNet V2 seeds are skipped, see below).

For the bundled Fashion-MNIST CNN and the two shared MobileNets (../shared/models, skipped when absent), the
ONNX weights are loaded into torch ops by a small interpreter (only the ops these models use; anything else
stops the script), run in float64, and differentiated by autograd. Nothing of the C# reverse pass is used.

Each image is made from integers only (see image()), so the C# test rebuilds bit-identical float32 pixels
without storing them. Seeds whose activations sit within twice their float32 error of a Relu/Clip kink are
skipped (see fixture()), since there any float32 implementation may legitimately take the other side. Per image and loss the fixture keeps the loss, the gradient's L2 norm, a weighted sum of
all its entries (weights w_i = (i * 7919 mod 13) - 6, a checksum of the full gradient) and 128 sampled entries,
plus the logits: a few tens of KB per model. The losses follow Croce and Hein's reference code
(github fra31/auto-attack, autoattack/autopgd_base.py, dlr_loss and dlr_loss_targeted), the margin is
max_{i != y} z_i - z_y and the cross-entropy is torch's; every loss is the value an attack maximizes.
"""
import argparse
import json
import math
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

MODELS = [
    # name, path from the repository root, input size, preprocessing (subtract, multiply), images
    ("fashion-mnist-cnn", os.path.join("models", "fashion-mnist-cnn", "model.onnx"), 28, (0.0, 1.0), 4),
    ("mobilenet_v1_0.5_160", os.path.join("..", "shared", "models", "mobilenet_v1_0.5_160", "model.onnx"), 160, (0.5, 2.0), 3),
    ("mobilenet_v2_1.0_224", os.path.join("..", "shared", "models", "mobilenet_v2_1.0_224", "model.onnx"), 224, (0.5, 2.0), 3),
]
LOSSES = ["CrossEntropy", "Margin", "Dlr", "TargetedDlr"]
SAMPLES = 128


def mix(a):
    """A 32-bit integer hash (lowbias32); the C# test has the same function."""
    a = a.astype(np.uint32)
    a ^= a >> np.uint32(16)
    a *= np.uint32(0x7FEB352D)
    a ^= a >> np.uint32(15)
    a *= np.uint32(0x846CA68B)
    a ^= a >> np.uint32(16)
    return a


def image(seed, size, channels=3):
    """A structured 8-bit image (ramps plus 4x4 blocks of noise) as float32 in [0, 1], CHW; a gray one is the first plane."""
    c, y, x = np.meshgrid(np.arange(channels), np.arange(size), np.arange(size), indexing="ij")
    ramp = (x * 97 + y * 57 + c * 71 + seed * 13) % 160
    noise = mix((seed * 1000003 + c * 7919 + (y // 4) * 131 + (x // 4)).astype(np.uint32)) % np.uint32(96)
    return ((ramp + noise.astype(np.int64)).astype(np.float32) / np.float32(255)).astype(np.float32)


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def pad_for(x, pads, value=0.0):
    """ONNX pads [top, left, bottom, right] as F.pad's (left, right, top, bottom)."""
    if not any(pads):
        return x
    return F.pad(x, (pads[1], pads[3], pads[0], pads[2]), value=value)


def run_onnx_in_torch(model, x, kinks=None):
    """Evaluates the graph on x with torch ops, so that autograd can differentiate it; in x's float type.

    kinks, when a list, receives (input, kink values) of every Relu and Clip."""
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    env = {k: (v.to(x.dtype) if v.dtype == torch.float32 else v) for k, v in env.items()}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            pads = attr(node, "pads", [0, 0, 0, 0])
            assert attr(node, "auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET"), "auto_pad not used by these models"
            y = F.conv2d(pad_for(i[0], pads), i[1], i[2] if len(i) > 2 else None, stride=attr(node, "strides", [1, 1]),
                         dilation=attr(node, "dilations", [1, 1]), groups=attr(node, "group", 1))
        elif op == "Relu":
            if kinks is not None:
                kinks.append((i[0].detach(), [0.0]))
            y = F.relu(i[0])
        elif op == "Clip":
            if kinks is not None:
                kinks.append((i[0].detach(), [float(b) for b in i[1:] if b is not None]))
            y = torch.clamp(i[0], min=float(i[1]) if len(i) > 1 and i[1] is not None else None,
                            max=float(i[2]) if len(i) > 2 and i[2] is not None else None)
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "MaxPool":
            pads = attr(node, "pads", [0, 0, 0, 0])
            y = F.max_pool2d(pad_for(i[0], pads, value=-math.inf), attr(node, "kernel_shape"), attr(node, "strides", [1, 1]),
                             ceil_mode=bool(attr(node, "ceil_mode", 0)))
        elif op == "AveragePool":
            assert not any(attr(node, "pads", [0, 0, 0, 0])), "padded AveragePool not used by these models"
            y = F.avg_pool2d(i[0], attr(node, "kernel_shape"), attr(node, "strides", [1, 1]),
                             ceil_mode=bool(attr(node, "ceil_mode", 0)),
                             count_include_pad=bool(attr(node, "count_include_pad", 0)))
        elif op == "ReduceMean":
            y = i[0].mean(dim=tuple(attr(node, "axes")), keepdim=bool(attr(node, "keepdims", 1)))
        elif op == "Flatten":
            axis = attr(node, "axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:axis])), -1)
        elif op == "Gemm":
            a = i[0].t() if attr(node, "transA", 0) else i[0]
            b = i[1].t() if attr(node, "transB", 0) else i[1]
            y = attr(node, "alpha", 1.0) * (a @ b)
            if len(i) > 2 and i[2] is not None:
                y = y + attr(node, "beta", 1.0) * i[2]
        elif op == "Reshape":
            shape = [int(s) if int(s) != 0 else i[0].shape[k] for k, s in enumerate(i[1].tolist())]
            y = i[0].reshape(shape)
        elif op == "Identity":
            y = i[0]
        else:
            raise SystemExit(f"op {op} (node {node.name}) is not in this interpreter")
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


def loss_of(name, z, y, t):
    u = torch.arange(z.shape[0])
    if name == "CrossEntropy":
        return F.cross_entropy(z, y, reduction="none")
    if name == "Margin":
        other = z.clone()
        other[u, y] = -math.inf
        return other.max(dim=1).values - z[u, y]
    z_sorted, ind_sorted = z.sort(dim=1)
    if name == "Dlr":
        ind = (ind_sorted[:, -1] == y).double()
        return -(z[u, y] - z_sorted[:, -2] * ind - z_sorted[:, -1] * (1.0 - ind)) / (z_sorted[:, -1] - z_sorted[:, -3] + 1e-12)
    if name == "TargetedDlr":
        return -(z[u, y] - z[u, t]) / (z_sorted[:, -1] - 0.5 * (z_sorted[:, -3] + z_sorted[:, -4]) + 1e-12)
    raise ValueError(name)


def input_channels(model):
    """The channel dimension the graph input declares (NCHW): 1 for a gray model, 3 otherwise."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return dims[1].dim_value if len(dims) == 4 and dims[1].dim_value in (1, 3) else 3


def fixture(name, path, size, scaling, count):
    model = onnx.load(path)
    subtract, multiply = scaling
    channels = input_channels(model)
    n = channels * size * size
    weights = (np.arange(n, dtype=np.int64) * 7919 % 13 - 6).astype(np.float64)
    sample = [int(k * 2654435761 % n) for k in range(SAMPLES)]
    images, cases = [], []
    seed = 0
    for k in range(count):
        while True:
            seed += 1
            pixels = torch.from_numpy(image(seed, size, channels)).double().unsqueeze(0)
            kinks, kinks32 = [], []
            with torch.no_grad():
                clean = run_onnx_in_torch(model, (pixels - subtract) * multiply, kinks)[0]
                run_onnx_in_torch(model, ((pixels - subtract) * multiply).float(), kinks32)
            # float32 rounding (ONNX Runtime's, like torch's float32 run here) can put an activation that lies close
            # to a kink on the other side; the gradient then legitimately differs over that unit's receptive field
            # and says nothing about the reverse pass. So every Relu/Clip input must be at least twice as far from
            # its kinks as its own float32 error (torch float32 vs float64), else the next seed is taken. Values
            # exactly on a kink (dead channels: zero weights and bias) are exact in float32 too and are kept.
            margin = math.inf
            for (a64, bounds), (a32, _) in zip(kinks, kinks32):
                error = (a32.double() - a64).abs().reshape(-1)
                distance = torch.stack([(a64 - b).abs() for b in bounds]).min(dim=0).values.reshape(-1)
                off = distance > 0
                if off.any():
                    margin = min(margin, float((distance[off] / (error[off] + 1e-12)).min()))
            nearest = margin
            if margin >= 2:
                break
            print(f"{name}: seed {seed} skipped, an activation lies only {margin:.2f}x its float32 error from a kink", flush=True)
        order = torch.argsort(clean, descending=True).tolist()
        # The true class alternates between the top class (a correctly classified image) and the runner-up.
        label = order[k % 2]
        target = order[2]
        images.append({"seed": seed, "label": label, "target": target, "kinkMarginOverFloat32Error": nearest, "logits": [float(v) for v in clean]})
        for loss in LOSSES:
            x = pixels.clone().requires_grad_(True)
            z = run_onnx_in_torch(model, (x - subtract) * multiply)
            value = loss_of(loss, z, torch.tensor([label]), torch.tensor([target]))
            value.sum().backward()
            g = x.grad.numpy().reshape(-1)
            cases.append({
                "image": k, "loss": loss, "value": float(value[0]),
                "norm": float(np.linalg.norm(g)), "checksum": float(g @ weights),
                "indices": sample, "values": [float(g[s]) for s in sample],
            })
    return {"model": name, "inputSize": size, "channels": channels, "images": images, "cases": cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join("tests", "AttackCore.Tests", "TestModels", "gradients", "fixtures"))
    parser.add_argument("--models", default=None, help="comma-separated names to make (default: all)")
    args = parser.parse_args()
    wanted = None if args.models is None else set(args.models.split(","))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    for name, path, size, scaling, count in MODELS:
        if wanted is not None and name not in wanted:
            continue
        if not os.path.exists(path):
            print(f"skipped {name}: {path} not found")
            continue
        data = fixture(name, path, size, scaling, count)
        out = os.path.join(args.out, name + ".json")
        with open(out, "w") as f:
            json.dump(data, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"{out}: {len(data['cases'])} cases, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
