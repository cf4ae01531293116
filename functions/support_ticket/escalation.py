"""Scheduled sweep: applications not finished in 15 days get a support ticket, once each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.deadlines import DeadlineDeps, sweep
from shared.observability import get_logger
from shared.wiring import SystemClock, repository

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    opened = sweep(DeadlineDeps(repo=repository(), clock=SystemClock()))
    logger.info("deadline sweep", extra={"tickets_opened": len(opened)})
    return {"tickets_opened": len(opened)}
