#!/usr/bin/python3
"""Exports a randomly initialised torchvision Inception-v3 to ONNX (a large-model stand-in for
benchmarks: same graph, shapes and cost as the real network, but meaningless predictions).

Usage (from the repository root):
    /usr/bin/python3 scripts/export_inception_v3_random.py [bench/models/inception_v3_random.onnx]

Writes the .onnx (about 90 MB; bench/models/ is git-ignored, do not commit it) and a model.json
beside it. torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True),
torch seed 0, eval mode; input `input` [N,3,299,299], output `logits` [N,1000], opset 13.
"""
import hashlib
import json
import os
import sys
import time

import torch
import torchvision


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "bench", "models", "inception_v3_random.onnx")
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)

    t0 = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True).eval()
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 3, 299, 299), out,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          opset_version=13, do_constant_folding=True)

    import onnx
    onnx.checker.check_model(out)  # path form: works for files over 2 GB too
    with open(out, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    spec = {"name": "inception-v3-random", "onnxPath": os.path.basename(out), "inputName": "input",
            "outputName": "logits", "inputSize": 299, "resizeTo": 342, "layout": "Nchw",
            "channelOrder": "Rgb", "scaling": "MeanStd", "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225], "numClasses": 1000, "backgroundOffset": 0,
            "output": "Logits", "sha256": sha}
    spec_path = os.path.join(os.path.dirname(out), "model.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes, sha256 {sha}) and {spec_path} "
          f"in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
