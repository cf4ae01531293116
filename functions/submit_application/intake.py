"""Partner intake: SQS batches of applications pushed by banks and accounting firms.

A malformed or refused message can never succeed, so it is not retried: it goes to the DLQ at
once with its reason (codes only, never the data) as message attributes and in the log. A
transient fault fails only its own record (partial batch response) and SQS redelivers it; after
the queue's maxReceiveCount the redrive policy moves it to the same DLQ.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, ValidationError

from shared.applications.models import Application, Channel
from shared.applications.submission import Origin, submit
from shared.core.errors import DuplicateApplication, InvalidApplication
from shared.core.metrics import emit
from shared.core.observability import get_logger
from shared.wiring import submission_deps

logger = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


class PartnerMessage(BaseModel):
    partner_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    request_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
    application: dict[str, Any]


def _dead_letter(record: SQSRecord, reason: str, detail: str, message: PartnerMessage | None) -> None:
    from shared.core.clients import client
    from shared.core.config import IntakeSettings, settings

    attributes = {
        "reason": {"DataType": "String", "StringValue": reason},
        "detail": {"DataType": "String", "StringValue": detail[:1000] or "-"},
        "source_message_id": {"DataType": "String", "StringValue": record.message_id},
    }
    if message:
        attributes["partner_id"] = {"DataType": "String", "StringValue": message.partner_id}
        attributes["request_id"] = {"DataType": "String", "StringValue": message.request_id}
    client("sqs").send_message(
        QueueUrl=settings(IntakeSettings).intake_dlq_url,
        MessageBody=record.body or "-",
        MessageAttributes=attributes,
    )
    emit("IntakeDeadLettered", reason=reason)
    logger.warning(
        "partner message dead-lettered",
        extra={
            "reason": reason,
            "detail": detail,
            "message_id": record.message_id,
            "partner_id": message.partner_id if message else None,
            "request_id": message.request_id if message else None,
        },
    )


def _journal_creation(application: Application, partner_id: str) -> None:
    """Recorded on every delivery with a fixed key, so a redelivery after a failed write heals it."""
    from shared.journal.access import Accessor, ActorRole, creation_entry
    from shared.wiring import journal

    partner = Accessor(role=ActorRole.PARTNER, actor_id=partner_id, source=f"sqs:{partner_id}")
    app = application
    journal().record([creation_entry(partner, "application", app.application_id, app.owner_sub, app.created_at)])


def record_handler(record: SQSRecord) -> str | None:
    try:
        message = PartnerMessage.model_validate(json.loads(record.body or ""))
    except (json.JSONDecodeError, ValidationError) as error:
        fields = (
            sorted({".".join(map(str, e["loc"])) for e in error.errors()}) if isinstance(error, ValidationError) else []
        )
        _dead_letter(record, "malformed_message", ",".join(fields) or "not a JSON object", None)
        return None
    origin = Origin(
        allowed_channels=frozenset({Channel.PARTNER}),
        default_channel=Channel.PARTNER,
        partner_id=message.partner_id,
        request_id=message.request_id,
    )
    correlation_id = f"{message.partner_id}:{message.request_id}"
    try:
        result = submit(
            {**message.application, "channel": Channel.PARTNER.value}, origin, submission_deps(), correlation_id
        )
    except InvalidApplication as invalid:
        _dead_letter(record, "validation_failed", ",".join(f"{e.field}:{e.code}" for e in invalid.errors), message)
        return None
    except DuplicateApplication:
        _dead_letter(record, "duplicate_application", "an application for this INN is already active", message)
        return None
    _journal_creation(result.application, message.partner_id)
    logger.info(
        "partner application accepted",
        extra={
            "application_id": result.application.application_id,
            "new_application": result.created,
            "partner_id": message.partner_id,
            "request_id": message.request_id,
        },
    )
    return result.application.application_id


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
