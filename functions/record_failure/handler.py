"""Step Functions Catch target: record an unexpected failure on the application (never a silent loss)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shared.observability import get_logger
from shared.wiring import step_deps
from shared.workflow_steps import record_failure

logger = get_logger()


class CaughtError(BaseModel):
    Error: str = "Unknown"


class TaskInput(BaseModel):
    application_id: str
    correlation_id: str | None = None
    error: CaughtError = CaughtError()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task = TaskInput.model_validate(event)
    logger.append_keys(application_id=task.application_id, correlation_id=task.correlation_id)
    result = record_failure(step_deps(), task.application_id, task.error.Error)
    logger.error("workflow failure recorded", extra={"error_type": task.error.Error, "result": result})
    return {"result": result}
