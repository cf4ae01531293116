"""Resumes a workflow waiting on a task token (`.waitForTaskToken`)."""

from __future__ import annotations

import json

from shared.aws import client


class StepFunctionsCallbacks:
    def succeed(self, task_token: str, output: dict[str, object]) -> None:
        client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))
