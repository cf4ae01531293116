"""Step Functions task: provision the cabinet and write `ready` (idempotent when run twice)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import get_logger
from shared.core.tasks import task_input
from shared.verification.steps import activate
from shared.wiring import step_deps

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task = task_input(event, logger)
    status = activate(step_deps(), task.application_id)
    logger.info("cabinet activated", extra={"status": status})
    return {"status": status}
