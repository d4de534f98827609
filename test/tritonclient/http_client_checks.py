"""Drives the service's /v2 REST API with NVIDIA's tritonclient.http, as a Triton/KServe user would.

    PYTHONPATH=<dir holding tritonclient> /usr/bin/python3 http_client_checks.py HOST:PORT [CHECK ...]

Runs the named checks (all by default) and prints one JSON line per check: {"check": name,
"result": ...} when it returned, {"check": name, "error": {...}} when it raised (an
InferenceServerException's status() is the HTTP status, e.g. "404"). The checks only collect
what the client saw; test/open-inference-protocol.tritonclient-http.spec.ts asserts on it.
"""

import sys

import numpy as np
import tritonclient.http as httpclient
from check_runner import checks_of, run

# Iris flowers (sepal length, sepal width, petal length, petal width); the spec computes the
# expected probabilities for these rows with onnxruntime-node.
FLOWERS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [6.3, 2.5, 5.0, 1.9]]


def iris_input(rows, binary_data=True):
    tensor = httpclient.InferInput("input", [len(rows), len(rows[0])], "FP32")
    tensor.set_data_from_numpy(np.array(rows, dtype=np.float32), binary_data=binary_data)
    return tensor


def summary(result, output="probabilities"):
    """What the client got: the JSON header's fields (without the data) and the output read with as_numpy."""
    response = result.get_response()
    return {
        "id": response.get("id"),
        "model_name": response.get("model_name"),
        "model_version": response.get("model_version"),
        "outputs": [
            {"name": o["name"], "datatype": o["datatype"], "shape": o["shape"], "parameters": o.get("parameters"), "json_data": "data" in o}
            for o in response["outputs"]
        ],
        "values": result.as_numpy(output).tolist(),
    }


def check_server_live(client):
    return client.is_server_live()


def check_server_ready(client):
    return client.is_server_ready()


def check_model_ready(client):
    return {
        "iris": client.is_model_ready("iris"),
        "iris@2": client.is_model_ready("iris", "2"),
        "iris@9": client.is_model_ready("iris", "9"),
        "lily": client.is_model_ready("lily"),
    }


def check_server_metadata(client):
    return client.get_server_metadata()


def check_model_metadata(client):
    return {"iris": client.get_model_metadata("iris"), "iris@2": client.get_model_metadata("iris", "2")}


def check_infer_binary(client):
    """tritonclient's default: binary input, and binary outputs (binary_data_output) when none is named."""
    return {"rows": FLOWERS, **summary(client.infer("iris", [iris_input(FLOWERS)], request_id="http-binary"))}


def check_infer_json(client):
    """JSON both ways: set_data_from_numpy(binary_data=False) and InferRequestedOutput(binary_data=False)."""
    outputs = [httpclient.InferRequestedOutput("probabilities", binary_data=False)]
    result = client.infer("iris", [iris_input(FLOWERS, binary_data=False)], outputs=outputs, request_id="http-json")
    return {"rows": FLOWERS, **summary(result)}


def check_infer_versions(client):
    return {
        version: {"rows": FLOWERS[1:], **summary(client.infer("iris", [iris_input(FLOWERS[1:])], model_version=version))}
        for version in ["1", "2"]
    }


def check_async_infer(client, requests=8):
    """async_infer on a client with concurrency 8: all sent, then every answer collected."""
    pending = [
        (index, client.async_infer("iris", [iris_input(FLOWERS[index % 4 :])], model_version=str(1 + index % 2), request_id=f"http-async-{index}"))
        for index in range(requests)
    ]
    return [{"rows": FLOWERS[index % 4 :], **summary(call.get_result(timeout=30))} for index, call in pending]


def check_error_unknown_model(client):
    return summary(client.infer("lily", [iris_input(FLOWERS[:1])]))


def check_error_wrong_shape(client):
    return summary(client.infer("iris", [iris_input([[1.0, 2.0, 3.0, 4.0, 5.0]])]))


# --- Running the checks ---

CHECKS = checks_of(globals())

if __name__ == "__main__":
    client = httpclient.InferenceServerClient(sys.argv[1], concurrency=8)
    try:
        run(CHECKS, sys.argv[2:] or list(CHECKS), client)
    finally:
        client.close()
