"""Runs the check_* functions of a check script against one client and prints one JSON line per check:
{"check": name, "result": ...} or {"check": name, "error": {type, status, message}}. What the client saw is
only collected here; the vitest specs judge it."""
import json
import sys

from tritonclient.utils import InferenceServerException


def describe(error):
    if isinstance(error, InferenceServerException):
        return {"type": "InferenceServerException", "status": error.status(), "message": error.message()}
    # grpc.RpcError, from the generated stub, without importing grpc for the HTTP checks.
    if callable(getattr(error, "code", None)) and callable(getattr(error, "details", None)):
        return {"type": "RpcError", "status": str(error.code()), "message": error.details()}
    return {"type": type(error).__name__, "status": None, "message": str(error)}


def describe_call(call):
    try:
        return {"result": call()}
    except Exception as error:  # noqa: BLE001 - every failure is reported, the spec judges it
        return {"error": describe(error)}


def checks_of(namespace):
    return {name[len("check_"):]: function for name, function in namespace.items() if name.startswith("check_")}


def run(checks, names, client):
    """Runs the named checks (sys.exit naming the known ones if a name is unknown)."""
    unknown = [name for name in names if name not in checks]
    if unknown:
        sys.exit(f"unknown checks: {', '.join(unknown)}; known: {', '.join(checks)}")
    for name in names:
        print(json.dumps({"check": name, **describe_call(lambda: checks[name](client))}), flush=True)
