#!/usr/bin/python3
"""Reference crops for the preprocessing tests (tests/AttackCore.Tests/Imaging/PreprocessingFixtureTests.cs).

Usage (from the repository root; Debian's python3-torchvision, python3-pil and python3-numpy):
    /usr/bin/python3 scripts/make_preprocessing_fixtures.py [--out tests/AttackCore.Tests/Imaging/PreprocessingFixtures]

Each preset family's own code path makes the crop:
- torchvision: transforms.Resize(resize_to) (bilinear; on a PIL image PIL resamples with the filter support
  widened by the downscale factor, torchvision's antialias) then transforms.CenterCrop(input_size), the
  torchvision installed here (0.14 on Debian 12) on Pillow.
- timm: timm is not packaged by Debian, so its eval transform is rebuilt from the same torchvision pieces it
  uses (timm/data/transforms_factory.py, transforms_imagenet_eval with crop_mode "center" and a square size):
  transforms.Resize(floor(input_size / crop_pct), interpolation from the model config) then
  transforms.CenterCrop(input_size). Inception_V3 (inception_v3.tv_in1k): crop_pct 0.875, bicubic.
- TF-slim (and Keras, which ships no evaluation crop of its own): TensorFlow is not available here, so
  preprocessing/inception_preprocessing.py's preprocess_for_eval is written out in numpy below:
  tf.image.convert_image_dtype to float32, tf.image.central_crop(central_fraction=0.875) and
  tf.image.resize_bilinear(align_corners=False), the TF 1 kernel without half-pixel centres and without
  antialias, all in float32. Its float output is stored rounded to 8 bits; the tool also rounds to 8 bits.

Two synthetic sources (rings that alias when resampled badly, a fine checkerboard, colour ramps and sharp
edges) are written into the fixture folder, with full-size expected crops for every family, so those tests
run anywhere. Cases on the natural photos of ../shared/images use each preset's exact parameters; to keep the
repository small only every third pixel of those crops is stored (rows and columns 1, 4, 7, ...), which still
catches a crop moved by one pixel. The manifest lists every case.
"""
import argparse
import hashlib
import json
import math
import os

import numpy as np
import torchvision
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

PHOTO_STRIDE = 3

# name, width, height
SYNTHETIC = [("synthetic_landscape", 203, 150), ("synthetic_portrait", 97, 181)]

# Synthetic cases: (source, family, parameters, input size). The sizes are chosen so that the long side
# truncates where rounding would not (203 * 64 / 150 = 86.6 -> 86) and a centre-crop margin of 4k + 3 appears
# (Python's round(1.5) = 2, not floor), with both downscaling (antialias widens the kernel) and upscaling.
SYNTHETIC_CASES = [
    ("synthetic_landscape", "torchvision", {"resizeTo": 64}, 61),
    ("synthetic_portrait", "torchvision", {"resizeTo": 150}, 139),
    ("synthetic_landscape", "timm", {"cropPct": 0.875, "interpolation": "Bicubic"}, 56),
    ("synthetic_portrait", "timm", {"cropPct": 0.875, "interpolation": "Bicubic"}, 120),
    ("synthetic_landscape", "tf-slim", {"centralFraction": 0.875}, 56),
    ("synthetic_portrait", "tf-slim", {"centralFraction": 0.875}, 160),
]

# Photo cases at the presets' own parameters, two or three photos per family. cat (512x341 -> 513.5) and
# grace_hopper (512x600 -> 400.8) are photos where truncating the long side differs from rounding it.
PHOTO_CASES = [
    ("cat.png", "torchvision", {"resizeTo": 342}, 299),          # inception-v3-torchvision
    ("grace_hopper.png", "torchvision", {"resizeTo": 342}, 299),  # inception-v3-torchvision
    ("hot_dog.png", "torchvision", {"resizeTo": 256}, 224),       # inception-v3-torchhub
    ("bird.png", "timm", {"cropPct": 0.875, "interpolation": "Bicubic"}, 299),       # inception-v3-timm
    ("dragonfly.png", "timm", {"cropPct": 0.875, "interpolation": "Bicubic"}, 299),  # inception-v3-timm
    ("parrot.png", "tf-slim", {"centralFraction": 0.875}, 299),         # inception-v3-tfslim, -keras
    ("kite_and_cold.png", "tf-slim", {"centralFraction": 0.875}, 224),  # mobilenet-v2
    ("sunflower.png", "tf-slim", {"centralFraction": 0.875}, 160),      # mobilenet-v1
]


def synthetic(width, height, seed):
    """An 8-bit RGB test card: zone-plate rings, a 2-pixel checkerboard, ramps, a hard diagonal, light noise."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * 0.37, height * 0.55
    r2 = (x - cx) ** 2 + (y - cy) ** 2
    rings = 127.5 + 127.5 * np.cos(r2 * (math.pi / (2.2 * max(width, height))))
    checker = np.where(((x.astype(int) // 2) + (y.astype(int) // 2)) % 2 == 0, 20.0, 235.0)
    ramp_r = 255.0 * x / (width - 1)
    ramp_b = 255.0 * y / (height - 1)
    noise = np.random.default_rng(seed).integers(-12, 13, size=(height, width, 3)).astype(np.float64)
    img = np.empty((height, width, 3))
    img[..., 0] = 0.6 * rings + 0.4 * ramp_r
    img[..., 1] = rings
    img[..., 2] = 0.5 * rings + 0.5 * ramp_b
    quadrant = (x > width * 0.6) & (y < height * 0.4)
    img[quadrant] = checker[quadrant][:, None]
    img[(x + 2 * y) % 37 < 2] = (250.0, 10.0, 10.0)
    img += noise
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def torchvision_crop(image, resize_to, input_size, interpolation):
    pipeline = transforms.Compose([
        transforms.Resize(resize_to, interpolation=interpolation),
        transforms.CenterCrop(input_size),
    ])
    return np.asarray(pipeline(image), dtype=np.uint8)


def timm_resize(input_size, crop_pct):
    """timm transforms_imagenet_eval: scale_size = math.floor(img_size / crop_pct)."""
    return math.floor(input_size / crop_pct)


def tf_central_crop(image, central_fraction):
    """tf.image.central_crop on a static-shape image (image_ops_impl.py): start truncated, size = dim - 2 * start."""
    h, w = image.shape[:2]
    top = int((float(h) - float(h) * central_fraction) / 2)
    left = int((float(w) - float(w) * central_fraction) / 2)
    return image[top:h - top, left:w - left]


def tf_resize_bilinear_legacy(image, out_h, out_w):
    """TF 1 resize_bilinear, align_corners=False, half_pixel_centers=False (resize_bilinear_op.cc), float32.

    scale = in / out (float); source position in = out_index * scale; lower = floor(in), upper = min(ceil(in),
    in - 1), lerp = in - floor(in); value = top + (bottom - top) * y_lerp with top/bottom lerped along x.
    """
    def axis(out_size, in_size):
        scale = np.float32(in_size) / np.float32(out_size)
        pos = np.arange(out_size, dtype=np.float32) * scale
        lower = np.floor(pos)
        lerp = (pos - lower).astype(np.float32)
        lo = np.maximum(lower.astype(np.int64), 0)
        hi = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
        return lo, hi, lerp

    in_h, in_w = image.shape[:2]
    y_lo, y_hi, y_lerp = axis(out_h, in_h)
    x_lo, x_hi, x_lerp = axis(out_w, in_w)
    xl = x_lerp[None, :, None]
    top_left, top_right = image[y_lo][:, x_lo], image[y_lo][:, x_hi]
    bottom_left, bottom_right = image[y_hi][:, x_lo], image[y_hi][:, x_hi]
    top = top_left + (top_right - top_left) * xl
    bottom = bottom_left + (bottom_right - bottom_left) * xl
    return (top + (bottom - top) * y_lerp[:, None, None]).astype(np.float32)


def tf_slim_crop(image, central_fraction, input_size):
    """inception_preprocessing.preprocess_for_eval up to the resize, in [0, 1]; returned as rounded 8-bit levels."""
    pixels = np.asarray(image, dtype=np.uint8).astype(np.float32) * np.float32(1.0 / 255)
    cropped = tf_central_crop(pixels, central_fraction)
    resized = tf_resize_bilinear_legacy(cropped, input_size, input_size)
    return np.clip(np.floor(resized.astype(np.float64) * 255.0 + 0.5), 0, 255).astype(np.uint8)


def reference(image, family, params, input_size):
    """The family's crop and the spec fields that select its rule in the tool."""
    if family == "torchvision":
        rule = {"crop": "ShortSide", "resizeTo": params["resizeTo"], "interpolation": "Bilinear"}
        return torchvision_crop(image, params["resizeTo"], input_size, InterpolationMode.BILINEAR), rule
    if family == "timm":
        resize_to = timm_resize(input_size, params["cropPct"])
        mode = InterpolationMode.BICUBIC if params["interpolation"] == "Bicubic" else InterpolationMode.BILINEAR
        rule = {"crop": "ShortSide", "resizeTo": resize_to, "interpolation": params["interpolation"]}
        return torchvision_crop(image, resize_to, input_size, mode), rule
    if family == "tf-slim":
        rule = {"crop": "CentralFraction", "centralFraction": params["centralFraction"], "interpolation": "Bilinear"}
        return tf_slim_crop(image, params["centralFraction"], input_size), rule
    raise ValueError(family)


def save_png(array, path):
    Image.fromarray(array, "RGB").save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join("tests", "AttackCore.Tests", "Imaging", "PreprocessingFixtures"))
    parser.add_argument("--photos", default=os.path.join("..", "shared", "images"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    cases = []
    for index, (name, width, height) in enumerate(SYNTHETIC):
        save_png(np.asarray(synthetic(width, height, seed=index + 1)), os.path.join(args.out, name + ".png"))

    for source, family, params, input_size in SYNTHETIC_CASES:
        image = Image.open(os.path.join(args.out, source + ".png")).convert("RGB")
        crop, rule = reference(image, family, params, input_size)
        expected = f"{source}_{family}_{input_size}.png"
        save_png(crop, os.path.join(args.out, expected))
        cases.append({"name": expected[:-4], "family": family, "source": source + ".png", "photo": False,
                      "inputSize": input_size, **rule, "expected": expected, "stride": 1})

    for photo, family, params, input_size in PHOTO_CASES:
        path = os.path.join(args.photos, photo)
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: the photo cases need ../shared/images beside the repository")
        image = Image.open(path).convert("RGB")
        crop, rule = reference(image, family, params, input_size)
        sampled = np.ascontiguousarray(crop[1::PHOTO_STRIDE, 1::PHOTO_STRIDE])
        expected = f"{photo[:-4]}_{family}_{input_size}_every{PHOTO_STRIDE}.png"
        save_png(sampled, os.path.join(args.out, expected))
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        cases.append({"name": f"{photo[:-4]}_{family}_{input_size}", "family": family, "source": photo, "photo": True,
                      "sourceSha256": sha, "inputSize": input_size, **rule, "expected": expected,
                      "stride": PHOTO_STRIDE, "offset": 1})

    manifest = {
        "generator": "scripts/make_preprocessing_fixtures.py",
        "torchvision": torchvision.__version__,
        "pillow": Image.__version__,
        "numpy": np.__version__,
        "cases": cases,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"{len(cases)} cases, {total} bytes in {args.out}")


if __name__ == "__main__":
    main()
