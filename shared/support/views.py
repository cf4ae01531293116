"""What each side sees of a ticket: the citizen (contacts masked), the desk's queue (no name or
phone: a queue is read in passing), the operator who handles it (contacts in full)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.applications.models import FullName
from shared.core.ports import DocumentStore
from shared.review.decisions import PresignedUpload
from shared.support.models import FNS, Author, Ticket, TicketChannel, TicketMessage, TicketStatus

DOWNLOAD_URL_SECONDS = 300


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


Stamp = Annotated[datetime, AfterValidator(_utc)]  # written in UTC, `Z`


def _absent(value: object) -> bool:
    return value is None


class View(BaseModel):
    """An answer's model: its schema is built at its first use, not at import (a cold start builds only
    the views its route answers with)."""

    model_config = ConfigDict(defer_build=True)


class ComplaintView(View):
    number: str
    filed_at: Stamp
    addressee: str = FNS


class ScreenshotView(View):
    content_type: str
    size: int


class ScreenshotDownload(ScreenshotView):
    download_url: str


class MessageView(View):
    at: Stamp
    author: Author
    text: str


class OperatorMessageView(MessageView):
    author_id: str | None


class TicketSummary(View):
    """A ticket in the citizen's list."""

    ticket_id: str
    number: str
    status: TicketStatus
    status_label: str
    channel: TicketChannel
    created_at: Stamp
    updated_at: Stamp
    answer_due_at: Stamp | None
    answered_at: Stamp | None
    overdue: bool
    application_id: str | None
    complaint: ComplaintView | None


class CitizenTicketView(TicketSummary):
    """What the citizen sees of their ticket: contacts masked (they typed them; a shared screen need not show them)."""

    description: str
    inn_masked: str | None
    phone_masked: str | None
    email_masked: str | None
    screenshot: ScreenshotView | None
    messages: list[MessageView]


class TicketCreated(CitizenTicketView):
    """`POST /support/tickets`: the ticket, and where to upload its screenshot (only when one was announced)."""

    # absent, not null, when none was announced; a field rule rather than a model serializer, so that
    # the OpenAPI schema is still made from the fields (a serializer's schema is its return type's)
    screenshot_upload: PresignedUpload | None = Field(default=None, exclude_if=_absent)


class TicketPage(View):
    items: list[TicketSummary]
    next_token: str | None


class DeskItem(TicketSummary):
    """A ticket in the operators' queue."""

    answer_due_at: Stamp  # the desk sees the target even once answered
    assignee: str | None
    inn_masked: str | None
    reason: str | None


class DeskPage(View):
    items: list[DeskItem]
    next_token: str | None


class OperatorTicketView(DeskItem):
    """One ticket for the operator who handles it: the contacts in full, the screenshot to open."""

    description: str
    owner_sub: str | None
    full_name: FullName | None
    phone: str | None
    email: str | None
    resolved_at: Stamp | None
    complaint_due_at: Stamp
    screenshot: ScreenshotDownload | ScreenshotView | None
    messages: list[OperatorMessageView]


class HandledTicketView(OperatorTicketView):
    """`PATCH /operator/tickets/{id}`: the ticket after the change; `notified` whether the citizen was
    told of an answer (None: there was no answer to tell of)."""

    notified: bool | None


def _masked_phone(phone: str | None) -> str | None:
    return "+7******" + phone[-4:] if phone else None


def _masked_email(email: str | None) -> str | None:
    if not email:
        return None
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _summary_fields(ticket: Ticket, now: datetime) -> dict[str, Any]:
    complaint = ticket.complaint
    return {
        "ticket_id": ticket.ticket_id,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": ticket.status.label,
        "channel": ticket.channel,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "answer_due_at": ticket.answer_due_at if ticket.status.awaits_answer else None,
        "answered_at": ticket.answered_at,
        "overdue": ticket.overdue(now),
        "application_id": ticket.application_id,
        "complaint": ComplaintView(number=complaint.number, filed_at=complaint.filed_at) if complaint else None,
    }


def summary(ticket: Ticket, now: datetime) -> TicketSummary:
    return TicketSummary(**_summary_fields(ticket, now))


def _citizen_fields(ticket: Ticket, messages: Sequence[TicketMessage], now: datetime) -> dict[str, Any]:
    shot = ticket.screenshot
    return {
        **_summary_fields(ticket, now),
        "description": ticket.description,
        "inn_masked": ticket.inn_masked,
        "phone_masked": _masked_phone(ticket.phone),
        "email_masked": _masked_email(ticket.email),
        "screenshot": ScreenshotView(content_type=shot.content_type, size=shot.size) if shot else None,
        "messages": [MessageView(at=m.at, author=m.author, text=m.text) for m in messages],
    }


def citizen_view(ticket: Ticket, messages: Sequence[TicketMessage], now: datetime) -> CitizenTicketView:
    return CitizenTicketView(**_citizen_fields(ticket, messages, now))


def created_view(ticket: Ticket, now: datetime, upload: dict[str, object] | None) -> TicketCreated:
    return TicketCreated(
        **_citizen_fields(ticket, [], now), screenshot_upload=PresignedUpload.of(upload) if upload else None
    )


def _desk_fields(ticket: Ticket, now: datetime) -> dict[str, Any]:
    return {
        **_summary_fields(ticket, now),
        "answer_due_at": ticket.answer_due_at,
        "assignee": ticket.assignee,
        "inn_masked": ticket.inn_masked,
        "reason": ticket.reason,
    }


def desk_item(ticket: Ticket, now: datetime) -> DeskItem:
    return DeskItem(**_desk_fields(ticket, now))


def _operator_fields(
    ticket: Ticket, messages: Sequence[TicketMessage], now: datetime, store: DocumentStore | None
) -> dict[str, Any]:
    screenshot: ScreenshotView | None = None
    shot = ticket.screenshot
    if shot is not None and store is not None:
        url = store.presign_download(shot.key, DOWNLOAD_URL_SECONDS)
        screenshot = ScreenshotDownload(content_type=shot.content_type, size=shot.size, download_url=url)
    elif shot is not None:
        screenshot = ScreenshotView(content_type=shot.content_type, size=shot.size)
    return {
        **_desk_fields(ticket, now),
        "description": ticket.description,
        "owner_sub": ticket.owner_sub,
        "full_name": ticket.full_name,
        "phone": ticket.phone,
        "email": ticket.email,
        "resolved_at": ticket.resolved_at,
        "complaint_due_at": ticket.complaint_due_at,
        "screenshot": screenshot,
        "messages": [
            OperatorMessageView(at=m.at, author=m.author, text=m.text, author_id=m.author_id) for m in messages
        ],
    }


def operator_view(
    ticket: Ticket, messages: Sequence[TicketMessage], now: datetime, store: DocumentStore | None = None
) -> OperatorTicketView:
    return OperatorTicketView(**_operator_fields(ticket, messages, now, store))


def handled_view(
    ticket: Ticket, messages: Sequence[TicketMessage], now: datetime, store: DocumentStore, notified: bool | None
) -> HandledTicketView:
    return HandledTicketView(**_operator_fields(ticket, messages, now, store), notified=notified)
