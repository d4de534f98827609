#!/usr/bin/python3
"""Train the two bundled iris models and export them to ONNX.

    /usr/bin/python3 training/train_iris.py        (from the repository root)

Data: the real Fisher iris data shipped with scikit-learn (sklearn.datasets.load_iris,
150 samples, no download). Stratified 80/20 split, random_state=42 -> 120 train /
30 test samples.

  version 1: multinomial LogisticRegression on the raw measurements (cm)
  version 2: StandardScaler + MLPClassifier (one hidden layer of 16 ReLU units, L2
             penalty chosen by 5-fold CV on the training split)

Both are exported as ONNX graphs written by hand with onnx.helper from the fitted
weights (opset 17, IR version 8). Contract relied upon by the service:

  input          float32 [N, 4]  sepal_length, sepal_width, petal_length, petal_width (cm)
  probabilities  float32 [N, 3]  setosa, versicolor, virginica (softmax in graph)

The v2 standardisation is part of the graph (Sub mean, Div scale), so both versions
take unscaled centimetres.

Each export is verified on the 30 held-out samples against sklearn's predict_proba
with (a) a float32 numpy interpreter of the ONNX graph and (b) onnxruntime-node 1.30
from node_modules; the reported accuracy is computed from the onnxruntime outputs.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_check import REPO, check_io_contract, run_numpy, run_ort_node  # noqa: E402

SEED = 42
OPSET = 17
IR_VERSION = 8
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
LABELS = ["setosa", "versicolor", "virginica"]
OUT_DIR = os.path.join(REPO, "models", "iris")
ALPHA_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 0.3, 1.0, 3.0, 10.0]
DATASET = "iris (sklearn), stratified 20% hold-out, random_state=42"


def f32(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def make_model(nodes, initializers, doc):
    graph = helper.make_graph(
        nodes,
        "iris",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        initializer=initializers,
        doc_string=doc,
    )
    model = helper.make_model(
        graph,
        producer_name="onnx-model-server/training/train_iris.py",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    for k, v in (("features", json.dumps(FEATURES)), ("labels", json.dumps(LABELS))):
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model, full_check=True)
    return model


def export_logreg(clf: LogisticRegression) -> onnx.ModelProto:
    # sklearn multinomial: logits = X @ coef_.T + intercept_, proba = softmax(logits)
    nodes = [
        helper.make_node("MatMul", ["input", "W"], ["logits_nobias"]),
        helper.make_node("Add", ["logits_nobias", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    inits = [f32("W", clf.coef_.T), f32("b", clf.intercept_)]
    return make_model(nodes, inits, "Iris species: multinomial logistic regression")


def export_mlp(pipe: Pipeline) -> onnx.ModelProto:
    scaler: StandardScaler = pipe.named_steps["scale"]
    mlp: MLPClassifier = pipe.named_steps["mlp"]
    assert mlp.activation == "relu" and mlp.out_activation_ == "softmax"
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["scaled"]),
    ]
    inits = [f32("mean", scaler.mean_), f32("scale", scaler.scale_)]
    h = "scaled"
    n_layers = len(mlp.coefs_)
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        nodes.append(helper.make_node("MatMul", [h, f"W{i}"], [f"z{i}_nobias"]))
        nodes.append(helper.make_node("Add", [f"z{i}_nobias", f"b{i}"], [f"z{i}"]))
        inits += [f32(f"W{i}", W), f32(f"b{i}", b)]
        if i < n_layers - 1:
            nodes.append(helper.make_node("Relu", [f"z{i}"], [f"h{i}"]))
            h = f"h{i}"
        else:
            nodes.append(helper.make_node("Softmax", [f"z{i}"], ["probabilities"], axis=1))
    return make_model(nodes, inits, "Iris species: standardised input + MLP (16 ReLU units)")


def verify_and_evaluate(model, path, ref_proba, X_test, y_test):
    check_io_contract(model, ["N", 4], ["N", 3])
    x = X_test.astype(np.float32)
    p_np = run_numpy(model, x)["probabilities"]
    rep = run_ort_node(path, x)
    assert rep["inputNames"] == ["input"] and rep["outputNames"] == ["probabilities"], rep
    p_ort = rep["result"]["probabilities"]
    d_np = float(np.abs(p_np - ref_proba).max())
    d_ort = float(np.abs(p_ort - ref_proba).max())
    print(f"  max |onnx(numpy) - sklearn| = {d_np:.2e}")
    print(f"  max |onnx(onnxruntime-node) - sklearn| = {d_ort:.2e}")
    print(f"  onnxruntime-node metadata: inputs={rep['inputs']} outputs={rep['outputs']}")
    assert d_np < 1e-5 and d_ort < 1e-5, (d_np, d_ort)
    assert np.allclose(p_ort.sum(axis=1), 1.0, atol=1e-5)
    acc = float((p_ort.argmax(axis=1) == y_test).mean())
    return acc, p_ort


def iris_split():
    """The real iris data, split as both versions were trained: (X_train, X_test, y_train, y_test).
    training/drift_reference.py takes its reference from the same training rows."""
    iris = load_iris()
    X, y = iris.data, iris.target
    assert list(iris.target_names) == LABELS
    assert [f.replace(" (cm)", "").replace(" ", "_") for f in iris.feature_names] == FEATURES
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=SEED)


def main():
    np.random.seed(SEED)
    X_train, X_test, y_train, y_test = iris_split()
    print(f"iris: {len(X_train)} train / {len(X_test)} test samples")

    lr_params = dict(multi_class="multinomial", solver="lbfgs", C=1.0, max_iter=1000,
                     random_state=SEED)
    lr = LogisticRegression(**lr_params).fit(X_train, y_train)

    # The L2 penalty of the MLP is chosen by stratified 5-fold cross-validation on the
    # TRAINING split only (the 30 hold-out samples are never looked at); the
    # best setting is then refitted on all 120 training samples.
    mlp_params = dict(hidden_layer_sizes=(16,), activation="relu", solver="lbfgs",
                      max_iter=5000, random_state=SEED)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(**mlp_params))]),
        {"mlp__alpha": ALPHA_GRID},
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED),
    ).fit(X_train, y_train)
    mlp = search.best_estimator_
    mlp_params["alpha"] = search.best_params_["mlp__alpha"]
    print("MLP alpha (L2) 5-fold CV accuracy on the training split: " + ", ".join(
        f"{a:g}: {s:.4f}" for a, s in zip(ALPHA_GRID, search.cv_results_["mean_test_score"])))
    print(f"  -> alpha = {mlp_params['alpha']:g}")

    versions = [
        (1, lr, export_logreg(lr), "multinomial logistic regression",
         "sklearn.linear_model.LogisticRegression (multinomial, lbfgs)", lr_params),
        (2, mlp, export_mlp(mlp), "standardisation + MLP, one hidden layer of 16 ReLU units",
         "sklearn StandardScaler + sklearn.neural_network.MLPClassifier (16 ReLU, softmax)",
         {**mlp_params, "hidden_layer_sizes": list(mlp_params["hidden_layer_sizes"]),
          "alpha_selected_by": f"stratified 5-fold CV on the training split over {ALPHA_GRID}",
          "standardize": True, "scaler_mean": [round(float(v), 6) for v in mlp.named_steps["scale"].mean_],
          "scaler_scale": [round(float(v), 6) for v in mlp.named_steps["scale"].scale_]}),
    ]

    # one held-out sample per class, printed with each version's probabilities
    sample_idx = [int(np.flatnonzero(y_test == c)[0]) for c in range(len(LABELS))]
    samples = X_test[sample_idx].astype(np.float32)
    for version, est, model, desc, algo, params in versions:
        vdir = os.path.join(OUT_DIR, str(version))
        os.makedirs(vdir, exist_ok=True)
        path = os.path.join(vdir, "model.onnx")
        onnx.save(model, path)
        print(f"\nversion {version}: {desc} -> {os.path.relpath(path, REPO)} "
              f"({os.path.getsize(path)} bytes)")
        sk_acc = float(est.score(X_test, y_test))
        acc, _ = verify_and_evaluate(model, path, est.predict_proba(X_test), X_test, y_test)
        assert abs(acc - sk_acc) < 1e-9, (acc, sk_acc)
        print(f"  held-out accuracy (onnx) = {acc:.4f} ({round(acc * len(y_test))}/{len(y_test)})"
              f", train accuracy (sklearn) = {est.score(X_train, y_train):.4f}")
        probs = run_ort_node(path, samples)["result"]["probabilities"]
        for i, p in zip(sample_idx, probs):
            print(f"  sample input={X_test[i].tolist()} (true: {LABELS[y_test[i]]}) -> "
                  + ", ".join(f"{l}={v:.4f}" for l, v in zip(LABELS, p.tolist())))

        manifest = {
            "task": "classification",
            "description": f"Iris species from flower measurements (cm): {desc}",
            "features": FEATURES,
            "labels": LABELS,
            "scores_output": "probabilities",
            "scores": "probabilities",
            "evaluation": {"dataset": DATASET, "test_samples": int(len(y_test)),
                           "accuracy": round(acc, 4)},
            "training": {"script": "training/train_iris.py", "algorithm": algo,
                         "params": params, "train_samples": int(len(y_train))},
        }
        with open(os.path.join(vdir, "manifest.json"), "w") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")

    with open(os.path.join(OUT_DIR, "config.json"), "w") as fh:
        json.dump({"default_version": 1, "labels": {"stable": 1, "canary": 2}}, fh, indent=2)
        fh.write("\n")
    print("\nwrote models/iris/{1,2}/{model.onnx,manifest.json}, models/iris/config.json")

    # The drift reference ("drift" in each manifest): the training rows' quantile bins and predicted classes.
    subprocess.run([sys.executable, os.path.join(REPO, "training", "drift_reference.py"), "iris"], check=True)


if __name__ == "__main__":
    main()
