"""Drives the service with NVIDIA's tritonclient (HTTP and gRPC) when PREDICT_AUTH=keys: the key sent
as request headers, the way a Triton/KServe user adds credentials.

    API_KEY=<key> GRPC_TARGET=<host:port> PYTHONPATH=<dir holding tritonclient> /usr/bin/python3 auth_checks.py HTTP_HOST:PORT

The key comes from the environment, not the command line (where `ps` would show it), and so does
the gRPC port's address (the runner gives scripts one target). Prints one JSON
line per check, as check_runner.py does; test/open-inference-protocol.tritonclient-auth.spec.ts
asserts on them.
"""

import os
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from check_runner import run

KEY = os.environ["API_KEY"]
FLOWER = [[5.1, 3.5, 1.4, 0.2]]


def iris_input(module):
    tensor = module.InferInput("input", [1, 4], "FP32")
    tensor.set_data_from_numpy(np.array(FLOWER, dtype=np.float32))
    return tensor


def answer(result):
    response = result.get_response()
    version = response.get("model_version") if isinstance(response, dict) else response.model_version
    return {"model_version": version, "values": result.as_numpy("probabilities").tolist()}


def http_checks():
    bearer = {"Authorization": f"Bearer {KEY}"}
    return {
        "http_infer_bearer": lambda c: answer(c.infer("iris", [iris_input(httpclient)], headers=bearer)),
        "http_infer_x_api_key": lambda c: answer(c.infer("iris", [iris_input(httpclient)], headers={"X-API-Key": KEY})),
        "http_model_metadata": lambda c: c.get_model_metadata("iris", headers=bearer)["name"],
        "http_model_ready": lambda c: c.is_model_ready("iris", headers=bearer),
        "http_server_ready_without_key": lambda c: c.is_server_ready(),
        "http_infer_without_key": lambda c: answer(c.infer("iris", [iris_input(httpclient)])),
        "http_infer_other_model": lambda c: answer(c.infer("digits", [iris_input(httpclient)], headers=bearer)),
    }


def grpc_checks():
    # gRPC metadata keys are lower case.
    bearer = {"authorization": f"Bearer {KEY}"}
    return {
        "grpc_infer_bearer": lambda c: answer(c.infer("iris", [iris_input(grpcclient)], headers=bearer)),
        "grpc_infer_x_api_key": lambda c: answer(c.infer("iris", [iris_input(grpcclient)], headers={"x-api-key": KEY})),
        "grpc_model_metadata": lambda c: c.get_model_metadata("iris", headers=bearer, as_json=True)["name"],
        "grpc_server_ready_without_key": lambda c: c.is_server_ready(),
        "grpc_infer_without_key": lambda c: answer(c.infer("iris", [iris_input(grpcclient)])),
        "grpc_infer_wrong_key": lambda c: answer(c.infer("iris", [iris_input(grpcclient)], headers={"authorization": "Bearer not-the-key"})),
        "grpc_infer_other_model": lambda c: answer(c.infer("digits", [iris_input(grpcclient)], headers=bearer)),
    }


if __name__ == "__main__":
    http = httpclient.InferenceServerClient(sys.argv[1])
    try:
        run(http_checks(), list(http_checks()), http)
    finally:
        http.close()
    with grpcclient.InferenceServerClient(os.environ["GRPC_TARGET"]) as triton:
        run(grpc_checks(), list(grpc_checks()), triton)
