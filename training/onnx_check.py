"""Shared verification helpers for the training scripts.

The Debian bookworm package python3-onnx is onnx 1.12, which predates
``onnx.reference.ReferenceEvaluator`` (added in 1.13), and onnxruntime for Python is
not installable here. Exported graphs are therefore verified in two independent ways:

* ``run_numpy``: a tiny float32 numpy interpreter for the handful of operators the
  hand-built iris graphs use (walks the real ONNX graph, reads the real initializers);
* ``run_ort_node``: runs the model with onnxruntime-node 1.30 -- the very runtime the
  service uses -- through ``training/ort-run.mjs``.
"""
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_numpy(model: onnx.ModelProto, x: np.ndarray) -> dict:
    """Evaluate a graph made of Sub/Div/Mul/MatMul/Gemm/Add/Relu/Softmax in float32 numpy."""
    g = model.graph
    env = {init.name: numpy_helper.to_array(init) for init in g.initializer}
    env[g.input[0].name] = x.astype(np.float32)
    for node in g.node:
        a = [env[n] for n in node.input]
        attrs = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        op = node.op_type
        if op == "Sub":
            out = a[0] - a[1]
        elif op == "Div":
            out = a[0] / a[1]
        elif op == "Mul":
            out = a[0] * a[1]
        elif op == "Add":
            out = a[0] + a[1]
        elif op == "MatMul":
            out = a[0] @ a[1]
        elif op == "Gemm":
            A = a[0].T if attrs.get("transA", 0) else a[0]
            B = a[1].T if attrs.get("transB", 0) else a[1]
            out = attrs.get("alpha", 1.0) * (A @ B)
            if len(a) > 2:
                out = out + attrs.get("beta", 1.0) * a[2]
        elif op == "Relu":
            out = np.maximum(a[0], 0)
        elif op == "Softmax":
            out = _softmax(a[0], attrs.get("axis", -1))
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = out.astype(np.float32)
    return {o.name: env[o.name] for o in g.output}


def run_ort_node(model_path: str, x: np.ndarray) -> dict:
    """Run the model with onnxruntime-node (node_modules) and return its JSON report.

    report["result"][name] is converted to a float32 numpy array of the returned dims.
    """
    req = {
        "model": os.path.abspath(model_path),
        "input": {"dims": list(x.shape), "data": x.astype(np.float32).ravel().tolist()},
    }
    proc = subprocess.run(
        ["node", os.path.join(HERE, "ort-run.mjs")],
        input=json.dumps(req).encode(),
        capture_output=True,
        cwd=REPO,
        check=True,
    )
    rep = json.loads(proc.stdout)
    for name, t in rep["result"].items():
        rep["result"][name] = np.asarray(t["data"], dtype=np.float32).reshape(t["dims"])
    return rep


def check_io_contract(model: onnx.ModelProto, in_shape: list, out_shape: list):
    """Assert one float input 'input' and one float output 'probabilities' with the
    given shapes, where the string "N" stands for a dynamic dim_param."""
    g = model.graph
    real_inputs = [i for i in g.input if i.name not in {x.name for x in g.initializer}]
    assert [i.name for i in real_inputs] == ["input"], [i.name for i in real_inputs]
    assert [o.name for o in g.output] == ["probabilities"], [o.name for o in g.output]
    for vi, want in ((real_inputs[0], in_shape), (g.output[0], out_shape)):
        tt = vi.type.tensor_type
        assert tt.elem_type == onnx.TensorProto.FLOAT, (vi.name, tt.elem_type)
        got = [d.dim_param if d.dim_param else d.dim_value for d in tt.shape.dim]
        assert got == want, (vi.name, got, want)
