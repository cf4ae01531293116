"""Step Functions Catch target: record an unexpected failure on the application (never a silent loss)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import get_logger
from shared.core.tasks import task_input
from shared.verification.steps import record_failure
from shared.wiring import step_deps

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task = task_input(event, logger)
    error = task.error.Error if task.error else "Unknown"
    result = record_failure(step_deps(), task.application_id, error)
    logger.error("workflow failure recorded", extra={"error_type": error, "result": result})
    return {"result": result}
