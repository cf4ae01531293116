"""What every Step Functions task receives, and the log keys that follow one application through."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel


class CaughtError(BaseModel):
    Error: str = "Unknown"


class TaskInput(BaseModel):
    application_id: str
    correlation_id: str | None = None
    error: CaughtError | None = None


def task_input(event: dict[str, Any], logger: Logger) -> TaskInput:
    task = TaskInput.model_validate(event)
    logger.append_keys(application_id=task.application_id, correlation_id=task.correlation_id)
    return task
