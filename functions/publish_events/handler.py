"""DynamoDB stream of the applications table → `ApplicationStatusChanged` on the event bus.

Invoked by the stream's event source mapping (filtered to application META items, bisect on error,
retried until the record leaves the stream, then the on-failure queue). Answers a partial batch
response: Lambda resumes from the first status change that was not accepted, so events keep their
stream order and the accepted ones are not sent twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import get_logger
from shared.events.status_changed import publish_changes
from shared.wiring import event_outlets, status_changes

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    publisher, aside = event_outlets()
    result = publish_changes(status_changes(event), publisher, aside)
    for published in result.published:
        logger.info(
            "status change published",
            extra={
                "application_id": published.application_id,
                "status": published.status.value,
                "partner_id": published.partner_id,
                "application_version": published.application_version,
            },
        )
    if result.retry_from is None:
        return {"batchItemFailures": []}
    logger.warning("status changes not accepted: retried from here", extra={"sequence_number": result.retry_from})
    return {"batchItemFailures": [{"itemIdentifier": result.retry_from}]}
