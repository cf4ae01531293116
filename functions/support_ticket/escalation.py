"""Scheduled sweep (hourly): applications not finished in 15 days get a support ticket, once each;
tickets with no answer in 10 working days get a complaint to the FNS, once each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.deadlines import DeadlineDeps, sweep
from shared.observability import get_logger
from shared.tickets import file_complaints
from shared.wiring import SystemClock, repository, ticket_repository

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    clock = SystemClock()
    opened = sweep(DeadlineDeps(repo=repository(), tickets=ticket_repository(), clock=clock))
    filed = file_complaints(ticket_repository(), clock)
    logger.info("deadline sweep", extra={"tickets_opened": len(opened), "complaints_filed": len(filed)})
    return {"tickets_opened": len(opened), "complaints_filed": len(filed)}
