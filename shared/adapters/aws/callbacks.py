"""Resumes a workflow waiting on a task token (`.waitForTaskToken`)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from shared.core.clients import client

_ALREADY_RESUMED = {"TaskTimedOut", "TaskDoesNotExist"}


class StepFunctionsCallbacks:
    def succeed(self, task_token: str, output: dict[str, object]) -> None:
        """Resume; a task another writer already resumed (two paths may race to the same wait) is
        not an error: the workflow has moved on, which is what both wanted."""
        try:
            client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _ALREADY_RESUMED:
                raise
