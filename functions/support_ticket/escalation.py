"""Scheduled sweep (hourly): applications not finished in 15 days get a support ticket, once each;
tickets with no answer in 10 working days get a complaint to the FNS, once each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.metrics import emit
from shared.core.observability import get_logger
from shared.support.deadlines import queue_gauges, sweep
from shared.support.tickets import file_complaints
from shared.wiring import deadline_deps

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    deps = deadline_deps()
    opened = sweep(deps)
    filed = file_complaints(deps.tickets, deps.clock)
    gauges = queue_gauges(deps.repo, deps.tickets, deps.clock.now())
    emit("DeadlineBreaches", len(opened))
    emit("ComplaintsFiled", len(filed))
    emit("ReviewQueueDepth", gauges.review_depth)
    emit("ReviewQueueOldestSeconds", gauges.review_oldest_seconds, "Seconds")
    emit("TicketsOverdue", gauges.tickets_overdue)
    logger.info(
        "deadline sweep",
        extra={"tickets_opened": len(opened), "complaints_filed": len(filed), **gauges.__dict__},
    )
    return {"tickets_opened": len(opened), "complaints_filed": len(filed)}
