"""Step Functions task: provision the cabinet and write `ready` (idempotent when run twice)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shared.observability import get_logger
from shared.wiring import step_deps
from shared.workflow_steps import activate

logger = get_logger()


class TaskInput(BaseModel):
    application_id: str
    correlation_id: str | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task = TaskInput.model_validate(event)
    logger.append_keys(application_id=task.application_id, correlation_id=task.correlation_id)
    status = activate(step_deps(), task.application_id)
    logger.info("cabinet activated", extra={"status": status})
    return {"status": status}
