"""Drives the service's gRPC port with NVIDIA's tritonclient.grpc, as a Triton/KServe user would.

    PYTHONPATH=<dir holding tritonclient> /usr/bin/python3 grpc_client_checks.py HOST:PORT [CHECK ...]

Runs the named checks (all of GENERAL_CHECKS by default) and prints one JSON line per check:
{"check": name, "result": ...} when it returned, {"check": name, "error": {...}} when it raised
(an InferenceServerException's status() is e.g. "StatusCode.INVALID_ARGUMENT"). The checks only
collect what the client saw; test/open-inference-protocol.tritonclient-grpc.spec.ts asserts on it.
"""

import sys
import threading

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from check_runner import checks_of, describe, describe_call, run

# The server (host:port), from the command line; the checks that open a channel of their own use it.
TARGET = ""

# Iris flowers (sepal length, sepal width, petal length, petal width); the spec computes the
# expected probabilities for these rows with onnxruntime-node.
FLOWERS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [6.3, 2.5, 5.0, 1.9]]


def iris_input(rows, datatype="FP32", dtype=np.float32):
    tensor = grpcclient.InferInput("input", [len(rows), len(rows[0])], datatype)
    tensor.set_data_from_numpy(np.array(rows, dtype=dtype))
    return tensor


def digits_input(count):
    """A batch of blank (all zero) 28x28 grayscale digits, NCHW as the digits model takes them."""
    tensor = grpcclient.InferInput("input", [count, 1, 28, 28], "FP32")
    tensor.set_data_from_numpy(np.zeros((count, 1, 28, 28), dtype=np.float32))
    return tensor


def summary(result, output="probabilities"):
    """What the client got: the response's fields and the output read with as_numpy."""
    response = result.get_response()
    return {
        "id": response.id,
        "model_name": response.model_name,
        "model_version": response.model_version,
        "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape)} for o in response.outputs],
        "raw_output_count": len(response.raw_output_contents),
        "values": result.as_numpy(output).tolist(),
    }


def check_server_live(client):
    return client.is_server_live()


def check_server_ready(client):
    return client.is_server_ready()


def check_model_ready(client):
    return {
        "iris": client.is_model_ready("iris"),
        "iris@1": client.is_model_ready("iris", "1"),
        "iris@2": client.is_model_ready("iris", "2"),
        "iris@9": client.is_model_ready("iris", "9"),
        "digits": client.is_model_ready("digits"),
        "lily": client.is_model_ready("lily"),
    }


def check_server_metadata(client):
    return client.get_server_metadata(as_json=True)


def check_model_metadata(client):
    return {
        "iris": client.get_model_metadata("iris", as_json=True),
        "iris@2": client.get_model_metadata("iris", "2", as_json=True),
        "digits": client.get_model_metadata("digits", as_json=True),
    }


def check_infer_raw(client):
    """tritonclient's default: inputs in raw_input_contents, every output returned (raw)."""
    return {"rows": FLOWERS, **summary(client.infer("iris", [iris_input(FLOWERS)], request_id="grpc-raw-1"))}


def check_infer_requested_output(client):
    outputs = [grpcclient.InferRequestedOutput("probabilities")]
    result = client.infer("iris", [iris_input(FLOWERS[:2])], outputs=outputs, request_id="grpc-named-output")
    return {"rows": FLOWERS[:2], **summary(result)}


def check_infer_versions(client):
    return {
        version: {"rows": FLOWERS, **summary(client.infer("iris", [iris_input(FLOWERS)], model_version=version))}
        for version in ["1", "2"]
    }


def check_infer_labels(client):
    """models/iris/config.json's labels (stable=1, canary=2) in the version field."""
    return {
        label: {"rows": FLOWERS[1:], **summary(client.infer("iris", [iris_input(FLOWERS[1:])], model_version=label))}
        for label in ["stable", "canary"]
    }


def check_async_infer(client, requests=48):
    """async_infer with callbacks: every request is sent before any answer is awaited."""
    answers = {}
    done = threading.Condition()

    def on_answer(index, result, error):
        with done:
            answers[index] = ({"error": describe(error)} if error else summary(result)) | {"rows": rows_for(index)}
            done.notify_all()

    def rows_for(index):
        return [FLOWERS[(index + k) % len(FLOWERS)] for k in range(1 + index % 3)]

    for index in range(requests):
        client.async_infer(
            "iris",
            [iris_input(rows_for(index))],
            callback=lambda result, error, index=index: on_answer(index, result, error),
            model_version=str(1 + index % 2),
            request_id=f"async-{index}",
        )
    with done:
        done.wait_for(lambda: len(answers) == requests, timeout=30)
        return [answers.get(index, {"missing": True, "rows": rows_for(index)}) for index in range(requests)]


def check_infer_digits(client):
    result = client.infer("digits", [digits_input(5)], request_id="digits-batch")
    answer = summary(result)
    answer["row_sums"] = result.as_numpy("probabilities").sum(axis=1).tolist()
    answer["argmax"] = result.as_numpy("probabilities").argmax(axis=1).tolist()
    del answer["values"]
    return answer


# --- Errors: each of these raises, and the spec asserts on the status and the message. ---


def check_error_wrong_datatype(client):
    return summary(client.infer("iris", [iris_input(FLOWERS[:1], "FP64", np.float64)]))


def check_error_wrong_shape(client):
    return summary(client.infer("iris", [iris_input([[1.0, 2.0, 3.0, 4.0, 5.0]])]))


def check_error_short_raw_contents(client):
    """Shape [2, 4] FP32 (32 bytes) but only 28 bytes of raw contents."""
    tensor = iris_input(FLOWERS[:2])
    tensor._raw_content = tensor._raw_content[:-4]
    return summary(client.infer("iris", [tensor]))


def check_error_unknown_input(client):
    tensor = grpcclient.InferInput("petals", [1, 4], "FP32")
    tensor.set_data_from_numpy(np.array(FLOWERS[:1], dtype=np.float32))
    return summary(client.infer("iris", [tensor]))


def check_error_unknown_output(client):
    outputs = [grpcclient.InferRequestedOutput("logits")]
    return summary(client.infer("iris", [iris_input(FLOWERS[:1])], outputs=outputs))


def check_error_no_inputs(client):
    """tritonclient sends an empty inputs list as it is; the generated stub does the same, for the record."""
    via_client = describe_call(lambda: client.infer("iris", []))
    with grpc.insecure_channel(TARGET) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        via_stub = describe_call(lambda: stub.ModelInfer(service_pb2.ModelInferRequest(model_name="iris"), timeout=10))
    return {"client": via_client, "stub": via_stub}


def check_error_unknown_model(client):
    return summary(client.infer("lily", [iris_input(FLOWERS[:1])]))


def check_error_unknown_version(client):
    return summary(client.infer("iris", [iris_input(FLOWERS[:1])], model_version="9"))


def check_error_malformed_version(client):
    return summary(client.infer("iris", [iris_input(FLOWERS[:1])], model_version="x y"))


def check_error_unknown_model_metadata(client):
    return client.get_model_metadata("lily", as_json=True)


def check_error_message_too_large(client):
    """5000 flowers: 80,000 bytes of raw contents, more than the app's GRPC_MAX_MESSAGE_BYTES (65536)."""
    return summary(client.infer("iris", [iris_input(FLOWERS * 1250)]))


def check_error_model_config(client):
    return client.get_model_config("iris", as_json=True)


def check_error_inference_statistics(client):
    return client.get_inference_statistics("iris", as_json=True)


def check_error_repository_index(client):
    return client.get_model_repository_index(as_json=True)


def check_infer_after_errors(client):
    """The same client (and channel) still works after every error above."""
    return {"rows": FLOWERS[:1], **summary(client.infer("iris", [iris_input(FLOWERS[:1])]))}


def check_health(client):
    """grpc.health.v1.Health: Watch the whole server until SERVING (the status follows readiness,
    refreshed every second, so it may still say NOT_SERVING just after start), then Check each service.
    Debian has no grpcio-health-checking (grpc_health), so the two messages are encoded by hand:
    HealthCheckRequest {string service = 1}, HealthCheckResponse {ServingStatus status = 1}."""
    statuses = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}

    def request(service):
        data = service.encode()
        return b"\x0a" + bytes([len(data)]) + data if data else b""

    def status(response):
        return statuses[response[1]] if response[:1] == b"\x08" else "UNKNOWN"

    def watch_until_serving(watch):
        seen = []
        stream = watch(request(""), timeout=20)
        for response in stream:
            seen.append(status(response))
            if seen[-1] == "SERVING":
                stream.cancel()
                break
        return seen

    with grpc.insecure_channel(TARGET) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        watched = describe_call(lambda: watch_until_serving(channel.unary_stream("/grpc.health.v1.Health/Watch")))
        checked = {
            service or "(server)": describe_call(lambda: status(check(request(service), timeout=10)))
            for service in ["", "inference.GRPCInferenceService", "no.such.Service"]
        }
        return {"watch": watched, "check": checked}


def check_overload(client, requests=64, images=8):
    """Many concurrent digits requests against an app with MAX_QUEUE_SIZE=1 and one worker."""
    answers = {}
    done = threading.Condition()

    def on_answer(index, result, error):
        with done:
            if error:
                answers[index] = {"error": describe(error)}
            else:
                answers[index] = summary(result)
                answers[index]["row_sums"] = result.as_numpy("probabilities").sum(axis=1).tolist()
                del answers[index]["values"]
            done.notify_all()

    for index in range(requests):
        client.async_infer(
            "digits",
            [digits_input(images)],
            callback=lambda result, error, index=index: on_answer(index, result, error),
            request_id=f"overload-{index}",
        )
    with done:
        done.wait_for(lambda: len(answers) == requests, timeout=30)
        return [answers.get(index, {"missing": True}) for index in range(requests)]


# --- Running the checks ---

CHECKS = checks_of(globals())
GENERAL_CHECKS = [name for name in CHECKS if name != "overload"]

if __name__ == "__main__":
    TARGET = sys.argv[1]
    with grpcclient.InferenceServerClient(TARGET) as triton:
        run(CHECKS, sys.argv[2:] or GENERAL_CHECKS, triton)
