"""A warm Lambda execution environment: imports one handler, then serves invocations.

Started by localcloud.lambda_runtime as `python localcloud/worker.py <code dir>` with the function's own
environment. Protocol: one JSON request per line on stdin, one JSON reply per line on a private
copy of the original stdout; the handler's own prints and logs go to stderr (its log file).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import time
import traceback
import uuid
from typing import Any


class Context:
    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = "$LATEST"
        self.invoked_function_arn = request.get("function_arn", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline = time.monotonic() + float(request.get("timeout", 3))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _CallCounter:
    """`LOCAL_CALL_COUNTS=<dir>` (bench/): this worker's AWS API calls by service and operation, its
    invocations, their wall and CPU time and the wall time spent inside AWS calls, rewritten to
    `<dir>/<function>-<pid>.json` after each invocation."""

    def __init__(self, folder: str) -> None:
        import botocore.client

        self.path = os.path.join(folder, f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'local')}-{os.getpid()}.json")
        self.data: dict[str, Any] = {"function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"), "calls": {}}
        self.data.update(invocations=0, seconds=0.0, billed_ms=0, cpu_seconds=0.0, aws_seconds=0.0)
        original = botocore.client.BaseClient._make_api_call
        calls, data = self.data["calls"], self.data

        def counted(client: Any, operation: str, params: Any) -> Any:
            key = f"{client.meta.service_model.service_id}:{operation}"
            calls[key] = calls.get(key, 0) + 1
            if isinstance(params, dict) and isinstance(params.get("Entries"), list):  # PutEvents, SendMessageBatch
                calls[key + "#entries"] = calls.get(key + "#entries", 0) + len(params["Entries"])
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                data["aws_seconds"] += time.perf_counter() - started

        botocore.client.BaseClient._make_api_call = counted

    def invoked(self, seconds: float, cpu_seconds: float) -> None:
        self.data["invocations"] += 1
        self.data["seconds"] += seconds
        self.data["cpu_seconds"] += cpu_seconds
        self.data["billed_ms"] += max(1, math.ceil(seconds * 1000))  # Lambda bills whole milliseconds
        with open(self.path + ".tmp", "w") as out:
            json.dump(self.data, out)
        os.replace(self.path + ".tmp", self.path)


def main() -> None:
    code_dir = sys.argv[1]
    sys.path[0] = code_dir  # the function's own asset first, never this folder
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # handler output goes to the log, not into the protocol
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), function_name)
    counter = _CallCounter(os.environ["LOCAL_CALL_COUNTS"]) if os.environ.get("LOCAL_CALL_COUNTS") else None
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            result = handler(request["event"], Context(request))
            reply = {"ok": True, "payload": json.dumps(result, default=str)}
        except Exception as error:  # the Lambda runtime's contract: the error becomes the payload
            traceback.print_exc()
            payload = {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            reply = {"ok": False, "payload": json.dumps(payload)}
        if counter is not None:
            counter.invoked(time.perf_counter() - started, time.process_time() - cpu_started)
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
