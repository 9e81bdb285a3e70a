"""Tiny numpy interpreter for the handful of ONNX ops used by the project's own graphs.

onnx 1.12 (Debian python3-onnx) has no onnx.reference evaluator and onnxruntime is not
available here, so the export scripts use this to run exported graphs independently of torch.
Supported ops: Conv (2-D, groups=1), Relu, MaxPool (2-D), ReduceMean, Flatten, Reshape,
Gemm, MatMul, Add, Softmax, Identity.
"""
import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    if a.get("group", 1) != 1:
        raise NotImplementedError("grouped Conv")
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    if (dh, dw) != (1, 1):
        raise NotImplementedError("dilated Conv")
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]  # n,c,oh,ow
            out += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j], optimize=True)
    if b is not None:
        out += b[None, :, None, None]
    return out


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    if a.get("ceil_mode", 0):
        raise NotImplementedError("ceil_mode")
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def run(model, feeds):
    """Runs `model` (ModelProto or path) on a dict of numpy inputs; returns a dict of all outputs."""
    if isinstance(model, str):
        model = onnx.load(model)
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
           else numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            y = _maxpool(ins[0], a)
        elif op == "ReduceMean":
            axes = tuple(a["axes"]) if "axes" in a else None
            y = ins[0].mean(axis=axes, keepdims=bool(a.get("keepdims", 1)))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            y = ins[0].reshape(shape)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "Identity":
            y = ins[0]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}
