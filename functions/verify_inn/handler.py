"""Step Functions task: check the applicant against the FNS registry.

Transient FNS faults propagate as FnsUnavailable; the state machine retries them with backoff.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import get_logger
from shared.tasks import task_input
from shared.wiring import fns_registry, step_deps
from shared.workflow_steps import verify

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task = task_input(event, logger)
    outcome = verify(step_deps(), fns_registry(), task.application_id)
    logger.info("registry check finished", extra={"outcome": outcome})
    return {"outcome": outcome}
