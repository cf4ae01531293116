"""`ApplicationStatusChanged`: the event every status change of an application publishes.

Events are built from the applications table's change stream, not by the writers: a status change
is one TransactWriteItems, and DynamoDB Streams carries every committed write, so a change that
is stored is published even if its writer crashes right after the write (no dual write, no outbox
table). The stream also carries writes that are not status changes (history lines, codes, locks,
a write that only moves the stage): the stream's reader passes on the changes of application items
only (shared.adapters.dynamodb.stream), and of those only an item that is new or whose `status`
differs from its old image makes an event.

The event's `detail` is the partner outcome message of docs/events.md, delivered as is to the partner's
queue (docs/events.md, docs/schemas/application-status-changed.v1.json). It carries identifiers,
the status and the rejection reasons only, never the applicant's data: no INN, SNILS, passport,
name, contact or address. Rejection texts are the service's own, except an operator's free-text
reason, so digit runs and e-mail addresses in them are blanked before they leave.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.applications.models import Status
from shared.events.ports import EventPublisher, SetAside

SCHEMA_VERSION: Literal["1.0"] = "1.0"  # major.minor: additive changes bump the minor only (docs/events.md)
EVENT_SOURCE = "tax-cabinet.applications"
DETAIL_TYPE = "ApplicationStatusChanged"

_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-().]*\d){5,}")  # INN, SNILS, passport, phone: 6+ digits
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
REDACTED = "[скрыто]"


def scrub(text: str) -> str:
    """Blank what could identify a person in a free text (an operator's rejection reason)."""
    return _EMAIL.sub(REDACTED, _DIGIT_RUN.sub(REDACTED, text))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeReason(_Frozen):
    """Why an application was rejected and what to do about it (Russian, for people)."""

    code: str = Field(description="stable, English: inn_not_found, operator_rejected, ...")
    message: str
    fix: str


class ApplicationStatusChanged(_Frozen):
    """The event's `detail` and the partner outcome message (schema v1)."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    partner_id: str | None = Field(description="the submitting partner; null for other channels")
    request_id: str | None = Field(description="the partner's own request id; null for other channels")
    application_id: str
    status: Status
    rejection_reasons: list[OutcomeReason] = Field(description="empty unless the status is rejected")
    application_version: int = Field(
        ge=1,
        description="the application's version at this change: higher is newer (drop duplicates and "
        "late arrivals of an older status)",
    )
    changed_at: datetime


@dataclass(frozen=True)
class StreamChange:
    """One DynamoDB stream record, images already turned into plain values."""

    sequence_number: str
    event_name: str  # INSERT | MODIFY | REMOVE
    keys: Mapping[str, Any]
    old_image: Mapping[str, Any] | None
    new_image: Mapping[str, Any] | None


class Unpublishable(ValueError):
    """A status change whose item cannot make a valid event (a writer's bug): it is set aside with
    its stream position rather than retried forever, since it would block every later event."""

    def __init__(self, change: StreamChange, problem: str) -> None:
        super().__init__(problem)
        self.change = change
        self.problem = problem


def status_change(change: StreamChange) -> ApplicationStatusChanged | None:
    """The event for a stream record, or None when the record is not an application's status change."""
    if change.event_name not in ("INSERT", "MODIFY"):
        return None
    new = change.new_image or {}
    old = change.old_image or {}
    if change.event_name == "MODIFY" and old.get("status") == new.get("status"):
        return None
    try:
        return ApplicationStatusChanged(
            partner_id=new.get("partner_id"),
            request_id=new.get("request_id"),
            application_id=new["application_id"],
            status=new["status"],
            rejection_reasons=[
                OutcomeReason(code=str(r["code"]), message=scrub(str(r["message"])), fix=scrub(str(r["fix"])))
                for r in new.get("rejection_reasons") or []
            ],
            application_version=int(new["version"]),
            changed_at=new["updated_at"],
        )
    except KeyError as missing:
        raise Unpublishable(change, f"missing attribute {missing}") from None
    except (ValidationError, TypeError, ValueError) as error:
        problem = (
            ", ".join(f"{'.'.join(map(str, e['loc']))}:{e['type']}" for e in error.errors(include_input=False))
            if isinstance(error, ValidationError)
            else type(error).__name__
        )
        raise Unpublishable(change, problem) from None


@dataclass(frozen=True)
class PublishResult:
    published: list[ApplicationStatusChanged]
    set_aside: list[Unpublishable]
    retry_from: str | None  # the sequence number Lambda must resume from (None: the batch is done)


def publish_changes(changes: Sequence[StreamChange], publisher: EventPublisher, aside: SetAside) -> PublishResult:
    """Publish the status changes of a stream batch, in stream order.

    On a refused event the batch stops counting as done at that record: Lambda resumes from the
    lowest sequence number reported (partial batch response), so the later ones are retried too,
    in order, and the earlier ones are not published twice.
    """
    pending: list[tuple[str, ApplicationStatusChanged]] = []
    skipped: list[Unpublishable] = []
    for change in changes:
        try:
            event = status_change(change)
        except Unpublishable as failure:
            aside.record(failure)
            skipped.append(failure)
            continue
        if event is not None:
            pending.append((change.sequence_number, event))
    failed = publisher.publish([event for _, event in pending]) if pending else []
    if failed:
        first = min(failed)
        return PublishResult([e for _, e in pending[:first]], skipped, pending[first][0])
    return PublishResult([e for _, e in pending], skipped, None)
