"""Support tickets: a citizen asks, an operator assigns, answers, resolves.

Answer targets are promises shown as `answer_due_at`: the feedback form 12 calendar hours, email
one working day (the end of the next Russian working day, 18:00 Moscow time); a ticket the
service opened itself (an application past its 15 days) is answered like an email. A ticket with
no answer 10 working days after it was opened gets a complaint addressed to the FNS, filed once by
the hourly sweep and shown to the citizen in the ticket.

The INN is kept only as a keyed hash (as for applications) and a masked form for operators; the
full name and phone are needed to reach the citizen, so they stay in the (KMS-encrypted) item,
never in a log line or a key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.applications.eta import add_working_days
from shared.applications.models import Application
from shared.applications.ports import ApplicationStore
from shared.core import identifiers
from shared.core.errors import ConcurrentUpdate, Conflict, FieldError, NotFound
from shared.core.messages import field_message
from shared.core.ports import Clock, DocumentStore, KeyedHasher, Notifier
from shared.support.models import (
    AWAITING,
    COMPLAINT_WORKING_DAYS,
    DEADLINE_REASON,
    EMAIL_ANSWER_WORKING_DAYS,
    FNS,
    FORM_ANSWER_TARGET,
    MAX_ID_LENGTH,
    MOSCOW,
    UPLOAD_URL_SECONDS,
    Author,
    Complaint,
    Screenshot,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)
from shared.support.ports import TicketRepository
from shared.support.requests import MessageRequest, TicketChange, TicketRequest, invalid


def not_found() -> NotFound:
    return NotFound(variant="ticket")


@dataclass
class TicketDeps:
    tickets: TicketRepository
    applications: ApplicationStore
    hasher: KeyedHasher
    notifier: Notifier
    store: DocumentStore
    clock: Clock


# --- terms ------------------------------------------------------------------------------------------------


def answer_due(channel: TicketChannel, at: datetime) -> datetime:
    """Form: 12 calendar hours. Email (and the service's own tickets): the end of the next working day."""
    if channel is TicketChannel.FORM:
        return at + FORM_ANSWER_TARGET
    return _working_days_after(at, EMAIL_ANSWER_WORKING_DAYS)


def complaint_due(at: datetime) -> datetime:
    return _working_days_after(at, COMPLAINT_WORKING_DAYS)


def _working_days_after(at: datetime, days: int) -> datetime:
    return add_working_days(at.astimezone(MOSCOW), days).astimezone(UTC)


# --- what citizens and operators do ---------------------------------------------------------------------


def _new_id() -> str:
    return str(uuid.uuid4())


def _message(at: datetime, author: Author, text: str, author_id: str | None = None) -> TicketMessage:
    return TicketMessage(message_id=uuid.uuid4().hex, at=at, author=author, author_id=author_id, text=text)


def ticket_number(n: int) -> str:
    return f"ЛК-{n:06d}"


def complaint_number(n: int) -> str:
    return f"ЖБ-{n:06d}"


def open_ticket(deps: TicketDeps, owner_sub: str, request: TicketRequest) -> tuple[Ticket, dict[str, object] | None]:
    """Store a citizen's ticket; with a screenshot, also the presigned POST to upload it.

    An application id must name the caller's own application: someone else's (or none) is the
    same field error, so the answer never tells whether that application exists.
    """
    if request.application_id is not None:
        found = deps.applications.get(request.application_id)
        if found is None or not found.owner_sub or found.owner_sub != owner_sub:
            raise invalid(
                [
                    FieldError(
                        field="application_id",
                        code="application_not_found",
                        message=field_message("application_not_found"),
                    )
                ]
            )
    now = deps.clock.now()
    ticket_id = _new_id()
    channel = TicketChannel(request.channel)
    screenshot = (
        Screenshot(
            key=f"support/{ticket_id}/screenshot",
            content_type=request.screenshot.content_type,
            size=request.screenshot.size,
        )
        if request.screenshot
        else None
    )
    ticket = Ticket(
        ticket_id=ticket_id,
        number=ticket_number(deps.tickets.next_number("tickets")),
        status=TicketStatus.OPEN,
        channel=channel,
        owner_sub=owner_sub,
        created_at=now,
        updated_at=now,
        description=request.description,
        answer_due_at=answer_due(channel, now),
        complaint_due_at=complaint_due(now),
        application_id=request.application_id,
        full_name=request.full_name,
        phone=request.phone,
        email=request.email if channel is TicketChannel.EMAIL else None,
        inn_hash=deps.hasher.digest(request.inn),
        inn_masked=identifiers.mask(request.inn),
        screenshot=screenshot,
    )
    if not deps.tickets.create(ticket):
        raise ConcurrentUpdate(ticket_id)  # a fresh uuid taken: practically never
    upload = None
    if screenshot is not None:
        upload = deps.store.presign_upload(screenshot.key, screenshot.content_type, screenshot.size, UPLOAD_URL_SECONDS)
    return ticket, upload


def owned(deps: TicketDeps, ticket_id: str, sub: str) -> Ticket:
    """The caller's own ticket; anyone else's is not found (never 403: no existence leak)."""
    ticket = find(deps, ticket_id)
    if not ticket.owner_sub or ticket.owner_sub != sub:
        raise not_found()
    return ticket


def find(deps: TicketDeps, ticket_id: str) -> Ticket:
    ticket = deps.tickets.get(ticket_id) if len(ticket_id) <= MAX_ID_LENGTH else None
    if ticket is None:
        raise not_found()
    return ticket


def add_citizen_message(deps: TicketDeps, ticket: Ticket, request: MessageRequest) -> Ticket:
    """A follow-up. On an answered ticket it is a new question: back to the desk, with a new target."""
    if ticket.status is TicketStatus.RESOLVED:
        raise Conflict("ticket_closed")
    now = deps.clock.now()
    changes: dict[str, Any] = {"updated_at": now, "version": ticket.version + 1}
    if ticket.status is TicketStatus.ANSWERED:
        changes["status"] = TicketStatus.IN_PROGRESS if ticket.assignee else TicketStatus.OPEN
        changes["answer_due_at"] = answer_due(ticket.channel, now)
    updated = ticket.model_copy(update=changes)
    deps.tickets.save(updated, ticket.version, [_message(now, Author.CITIZEN, request.text)])
    return updated


@dataclass(frozen=True)
class Handled:
    ticket: Ticket
    notified: bool | None  # None: nothing to notify about; False: the answer is stored but not delivered


def operator_change(deps: TicketDeps, ticket: Ticket, operator_id: str, change: TicketChange) -> Handled:
    """Assign, answer, change the status; the first answer stops the complaint clock. The citizen
    is notified of an answer (SMS to the ticket's phone; the answer itself by email on that channel)."""
    if ticket.status is TicketStatus.RESOLVED:
        raise Conflict("ticket_closed")
    now = deps.clock.now()
    updates: dict[str, Any] = {"updated_at": now, "version": ticket.version + 1}
    messages: list[TicketMessage] = []
    assignee = change.assignee or ticket.assignee
    if change.assignee is not None and change.assignee != ticket.assignee:
        updates["assignee"] = change.assignee
        if ticket.status is TicketStatus.OPEN:
            updates["status"] = TicketStatus.IN_PROGRESS
            messages.append(_message(now, Author.SYSTEM, "Обращение передано специалисту поддержки."))
    if change.answer is not None:
        messages.append(_message(now, Author.OPERATOR, change.answer, operator_id))
        updates["status"] = TicketStatus.ANSWERED
        if ticket.answered_at is None:
            updates["answered_at"] = now
        if assignee is None:
            updates["assignee"] = operator_id
    if change.status == "in_progress":
        updates["status"] = TicketStatus.IN_PROGRESS
        if assignee is None:
            updates["assignee"] = operator_id
    elif change.status == "resolved":
        updates["status"] = TicketStatus.RESOLVED
        updates["resolved_at"] = now
        messages.append(_message(now, Author.SYSTEM, "Обращение закрыто: вопрос решён."))
    updated = ticket.model_copy(update=updates)
    deps.tickets.save(updated, ticket.version, messages)
    notified = _notify_answer(deps, updated, change.answer) if change.answer is not None else None
    return Handled(updated, notified)


def _notify_answer(deps: TicketDeps, ticket: Ticket, answer: str) -> bool:
    """Best effort: the answer is stored and shown in the ticket whatever the delivery does."""
    delivered = True
    sms = (
        f"Поддержка личного кабинета налогоплательщика: на ваше обращение № {ticket.number} дан ответ. "
        "Прочитать его можно в личном кабинете."
    )
    try:
        if ticket.phone:
            deps.notifier.send_sms(ticket.phone, sms)
    except Exception:
        delivered = False
    try:
        if ticket.channel is TicketChannel.EMAIL and ticket.email:
            deps.notifier.send_email(
                ticket.email,
                f"Ответ на обращение № {ticket.number} — личный кабинет налогоплательщика",
                f"Здравствуйте!\n\nОтвет на ваше обращение № {ticket.number}:\n\n{answer}\n\n"
                "Если вопрос не решён, ответьте в обращении в личном кабинете.",
            )
    except Exception:
        delivered = False
    return delivered


# --- the service's own tickets and the complaint sweep ----------------------------------------------------


def deadline_ticket_id(application_id: str) -> str:
    return f"deadline-{application_id}"


def open_deadline_ticket(tickets: TicketRepository, app: Application, now: datetime) -> str:
    """The ticket for an application past its 15 days (one per application); its number.

    It belongs to the application's citizen (who sees it in their list) and carries the
    application's contacts, so an operator's answer reaches them like any other.
    """
    ticket_id = deadline_ticket_id(app.application_id)
    existing = tickets.get(ticket_id)
    if existing is not None:
        return existing.number
    body = app.body
    ticket = Ticket(
        ticket_id=ticket_id,
        number=ticket_number(tickets.next_number("tickets")),
        status=TicketStatus.OPEN,
        channel=TicketChannel.SYSTEM,
        owner_sub=app.owner_sub,
        created_at=now,
        updated_at=now,
        description=(
            f"Заявление на подключение личного кабинета № {app.application_id} не завершено за 15 дней. "
            "Обращение открыто автоматически."
        ),
        answer_due_at=answer_due(TicketChannel.SYSTEM, now),
        complaint_due_at=complaint_due(now),
        application_id=app.application_id,
        full_name=body.full_name,
        phone=body.phone,
        inn_hash=app.inn_hash,
        inn_masked=identifiers.mask(body.inn) if body.inn else None,
        reason=DEADLINE_REASON,
    )
    if tickets.create(ticket):
        return ticket.number
    again = tickets.get(ticket_id)  # a concurrent sweep made it first
    return again.number if again else ticket.number


def file_complaints(tickets: TicketRepository, clock: Clock, page_size: int = 100) -> list[str]:
    """For every ticket with no answer 10 working days after it was opened: a complaint addressed
    to the FNS, once (the complaint record is written only with the version the sweep read)."""
    now = clock.now()
    filed: list[str] = []
    token: str | None = None
    while True:
        page = tickets.list_by_status(AWAITING, page_size, token, due_before=now)
        for ticket in page.items:
            if not ticket.complaint_is_due(now):
                continue
            complaint = Complaint(number=complaint_number(tickets.next_number("complaints")), filed_at=now)
            note = _message(
                now,
                Author.SYSTEM,
                f"Ответ не дан в течение {COMPLAINT_WORKING_DAYS} рабочих дней: в {FNS} направлена жалоба "
                f"№ {complaint.number}.",
            )
            updated = ticket.model_copy(
                update={"complaint": complaint, "updated_at": now, "version": ticket.version + 1}
            )
            try:
                tickets.save(updated, ticket.version, [note], complaint=complaint)
            except ConcurrentUpdate:
                continue  # answered or changed meanwhile: the next sweep looks again
            filed.append(complaint.number)
        token = page.next_token
        if not token:
            return filed
