"""Partner intake: an application a bank or an accounting firm pushed through the queue.

A malformed or refused message can never succeed, so it is not retried: it goes to the
dead-letter queue at once with its reason (codes only, never the data). A transient fault
raises, so only its own record fails and the queue redelivers it. Submitting is idempotent on
(partner_id, request_id): a redelivery answers the application the first delivery made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from shared.applications.models import Application, Channel
from shared.applications.ports import DeadLetters
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.core.errors import DuplicateApplication, InvalidApplication
from shared.core.metrics import emit
from shared.core.observability import get_logger
from shared.journal.access import Accessor, ActorRole, creation_entry
from shared.journal.ports import AccessJournal


class PartnerMessage(BaseModel):
    partner_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    request_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
    application: dict[str, Any]


@dataclass
class IntakeDeps:
    submission: Callable[[], SubmissionDeps]
    journal: Callable[[], AccessJournal]
    dead_letters: Callable[[], DeadLetters]


def _dead_letter(
    deps: IntakeDeps, body: str, message_id: str, reason: str, detail: str, message: PartnerMessage | None
) -> None:
    attributes = {"reason": reason, "detail": detail[:1000] or "-", "source_message_id": message_id}
    if message:
        attributes |= {"partner_id": message.partner_id, "request_id": message.request_id}
    deps.dead_letters().send(body or "-", attributes)
    emit("IntakeDeadLettered", reason=reason)
    get_logger().warning(
        "partner message dead-lettered",
        extra={
            "reason": reason,
            "detail": detail,
            "message_id": message_id,
            "partner_id": message.partner_id if message else None,
            "request_id": message.request_id if message else None,
        },
    )


def _journal_creation(deps: IntakeDeps, application: Application, partner_id: str) -> None:
    """Recorded on every delivery with a fixed key, so a redelivery after a failed write heals it."""
    partner = Accessor(role=ActorRole.PARTNER, actor_id=partner_id, source=f"sqs:{partner_id}")
    app = application
    deps.journal().record([creation_entry(partner, "application", app.application_id, app.owner_sub, app.created_at)])


def take(deps: IntakeDeps, body: str, message_id: str) -> str | None:
    """Submit one partner message; the application's id, or None when it went to the dead letters."""
    try:
        message = PartnerMessage.model_validate(json.loads(body or ""))
    except (json.JSONDecodeError, ValidationError) as error:
        fields = (
            sorted({".".join(map(str, e["loc"])) for e in error.errors()}) if isinstance(error, ValidationError) else []
        )
        _dead_letter(deps, body, message_id, "malformed_message", ",".join(fields) or "not a JSON object", None)
        return None
    origin = Origin(
        allowed_channels=frozenset({Channel.PARTNER}),
        default_channel=Channel.PARTNER,
        partner_id=message.partner_id,
        request_id=message.request_id,
    )
    correlation_id = f"{message.partner_id}:{message.request_id}"
    raw = {**message.application, "channel": Channel.PARTNER.value}
    try:
        result = submit(raw, origin, deps.submission(), correlation_id)
    except InvalidApplication as invalid:
        detail = ",".join(f"{e.field}:{e.code}" for e in invalid.errors)
        _dead_letter(deps, body, message_id, "validation_failed", detail, message)
        return None
    except DuplicateApplication:
        detail = "an application for this INN is already active"
        _dead_letter(deps, body, message_id, "duplicate_application", detail, message)
        return None
    _journal_creation(deps, result.application, message.partner_id)
    get_logger().info(
        "partner application accepted",
        extra={
            "application_id": result.application.application_id,
            "new_application": result.created,
            "partner_id": message.partner_id,
            "request_id": message.request_id,
        },
    )
    return result.application.application_id
