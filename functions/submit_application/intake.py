"""Partner intake: SQS batches of applications pushed by banks and accounting firms, one use case
per record (shared/applications/intake.py).

A refused message goes to the DLQ at once (the use case parks it); a transient fault raises, so
only its own record fails (partial batch response) and SQS redelivers it; after the queue's
maxReceiveCount the redrive policy moves it to the same DLQ.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.applications.intake import take
from shared.core.observability import get_logger
from shared.wiring import intake

logger = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str | None:
    return take(intake(), record.body or "", record.message_id)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
