"""A warm Lambda execution environment: imports one handler, then serves invocations.

Started by localcloud.lambda_runtime as `python localcloud/worker.py <code dir>` with the function's own
environment. Protocol: one JSON request per line on stdin, one JSON reply per line on a private
copy of the original stdout; the handler's own prints and logs go to stderr (its log file).
"""

from __future__ import annotations

import importlib
import json
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


def main() -> None:
    code_dir = sys.argv[1]
    sys.path[0] = code_dir  # the function's own asset first, never this folder
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # handler output goes to the log, not into the protocol
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), function_name)
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
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
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
