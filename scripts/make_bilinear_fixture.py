#!/usr/bin/python3
"""Writes tests/AttackCore.Tests/TestModels/bilinear_resize.json: PyTorch's bilinear resize
(F.interpolate, align_corners=False, antialias=False) of small deterministic images, up and down,
for the C# AxisMap tests. Run from the repository root: /usr/bin/python3 scripts/make_bilinear_fixture.py
(Debian python3-torch). The 28 -> 20 case has the ratio of a 224 target and a 160 surrogate."""
import json

import torch
import torch.nn.functional as F

cases = []
for (c, h, w, oh, ow) in [(2, 5, 7, 8, 4), (3, 11, 6, 8, 8), (1, 28, 28, 20, 20), (1, 9, 9, 10, 10)]:
    g = torch.Generator().manual_seed(h * 1000 + w * 10 + oh)
    x = torch.rand((1, c, h, w), generator=g, dtype=torch.float64)
    y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False, antialias=False)
    cases.append({
        "channels": c, "height": h, "width": w, "outHeight": oh, "outWidth": ow,
        "input": [round(v, 12) for v in x.flatten().tolist()],
        "output": [round(v, 12) for v in y.flatten().tolist()],
    })

with open("tests/AttackCore.Tests/TestModels/bilinear_resize.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
