#!/usr/bin/env python3
"""Run advaudit from Python and read its results with pandas.

    python3 samples/python/advaudit_results.py samples/fashion-mnist \
        --model models/fashion-mnist-cnn/model.json --out out/ -- --eps 0.1

runs `advaudit attack` (the installed tool; --advaudit "dotnet run --project src/Cli --" runs it from a clone),
validates every report.json and summary.json against the JSON Schemas in docs/ (with the jsonschema package, when
it is installed), and prints one row per image and the run's clean and robust accuracy. Use load() in your own code:

    from advaudit_results import load
    images, summary = load("out/")            # images: a pandas DataFrame, summary: the summary.json dict

Needs Python 3.9+ and pandas (Debian: apt-get install python3-pandas python3-jsonschema).
"""
import argparse
import json
import pathlib
import shlex
import subprocess
import sys

import pandas as pd

try:
    import jsonschema
except ImportError:  # validation is optional; reading is not
    jsonschema = None

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def run(inputs, out, model, extra=(), advaudit="advaudit"):
    """Runs `advaudit attack`; returns its exit code (0 all fine, 1 some inputs failed, 130 interrupted)."""
    command = [*shlex.split(advaudit), "attack", *inputs, "--model", model, "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return done.returncode


def _validator(name):
    path = SCHEMAS / f"{name}.schema.json"
    if jsonschema is None or not path.exists():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load(out):
    """Reads <out>/summary.csv and every image's report.json into one DataFrame, and summary.json as a dict."""
    out = pathlib.Path(out)
    report_schema, summary_schema = _validator("report"), _validator("summary")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if summary_schema is not None:
        summary_schema.validate(summary)

    rows = pd.read_csv(out / "summary.csv")
    details = []
    for folder in rows["result_folder"].dropna():
        path = out / folder / "report.json"
        if not path.exists():  # an input that was rejected has error.json instead
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        if report_schema is not None:
            report_schema.validate(report)
        perturbation = report.get("perturbation") or {}
        details.append({
            "result_folder": folder,
            "attack": report["attack"]["name"],
            "eps_used": report["attack"]["epsUsed"],
            "loss": report["attack"]["loss"]["name"],
            "clean_confidence": report["clean"]["top5"][0]["probability"],
            "linf": perturbation.get("lInf"),
            "l2": perturbation.get("l2"),
            "ssim": perturbation.get("ssim"),
        })
    images = rows.merge(pd.DataFrame(details, columns=["result_folder", "attack", "eps_used", "loss", "clean_confidence", "linf", "l2", "ssim"]), on="result_folder", how="left")
    return images, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="image files or folders")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", default="out")
    parser.add_argument("--advaudit", default="advaudit", help="how to run the tool (default: the installed advaudit)")
    argv = sys.argv[1:] if argv is None else list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1:]   # after --: more options for advaudit attack
    code = run(args.inputs, args.out, args.model, extra, args.advaudit)
    images, summary = load(args.out)
    print(images[["input", "status", "clean_label", "adversarial_label", "queries", "eps_star", "linf", "ssim"]].to_string(index=False))
    print(summary["robustness"]["line"])   # the RobustBench-style line: clean and robust accuracy at the budget used
    print(f"reports validated against docs/*.schema.json: {'yes' if jsonschema else 'no (install jsonschema)'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
