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
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from shared.applications.eta import add_working_days
from shared.applications.models import Application, FullName
from shared.applications.ports import ApplicationStore
from shared.applications.typo_help import inn_suggestions
from shared.core import identifiers
from shared.core.errors import ConcurrentUpdate, Conflict, FieldError, InvalidInput, NotFound
from shared.core.messages import TICKET_STATUS_LABELS, TICKET_SUGGESTIONS_HINT, field_message, field_text
from shared.core.ports import Clock, DocumentStore, KeyedHasher, Notifier
from shared.support.ports import TicketRepository

MOSCOW = timezone(timedelta(hours=3), "MSK")  # no daylight saving since 2014
FORM_ANSWER_TARGET = timedelta(hours=12)
EMAIL_ANSWER_WORKING_DAYS = 1
COMPLAINT_WORKING_DAYS = 10
DESCRIPTION_LENGTH = (10, 4000)
MESSAGE_LENGTH = (1, 4000)
SCREENSHOT_TYPES = ("image/png", "image/jpeg")
SCREENSHOT_MAX_SIZE = 5 * 1024 * 1024
UPLOAD_URL_SECONDS = 900
MAX_ID_LENGTH = 100
FNS = "ФНС России"
DEADLINE_REASON = "deadline_15_days"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return TICKET_STATUS_LABELS[self.value]

    @property
    def awaits_answer(self) -> bool:
        return self in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


AWAITING = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class TicketChannel(StrEnum):
    FORM = "form"
    EMAIL = "email"
    SYSTEM = "system"  # opened by the service itself (an application past its deadline)


class Author(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    SYSTEM = "system"


def not_found() -> NotFound:
    return NotFound(variant="ticket")


def invalid(errors: list[FieldError]) -> InvalidInput:
    """Field errors of a ticket request (their detail speaks of a ticket, not of an application)."""
    return InvalidInput(errors, variant="ticket")


class Screenshot(BaseModel):
    key: str
    content_type: str
    size: int


class Complaint(BaseModel):
    number: str
    filed_at: datetime
    addressee: str = FNS
    reason: str = "no_answer_10_working_days"


class Ticket(BaseModel):
    """The stored ticket. `version` guards every change (optimistic locking, as for applications)."""

    ticket_id: str
    number: str
    status: TicketStatus
    channel: TicketChannel
    owner_sub: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    description: str
    answer_due_at: datetime
    complaint_due_at: datetime
    application_id: str | None = None
    full_name: FullName | None = None
    phone: str | None = None
    email: str | None = None
    inn_hash: str | None = None
    inn_masked: str | None = None
    assignee: str | None = None
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    screenshot: Screenshot | None = None
    complaint: Complaint | None = None
    reason: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status.awaits_answer and self.answer_due_at < now

    def complaint_is_due(self, now: datetime) -> bool:
        """10 working days passed and the citizen never got an answer (and no complaint yet)."""
        return self.answered_at is None and self.complaint is None and self.complaint_due_at <= now


class TicketMessage(BaseModel):
    message_id: str
    at: datetime
    author: Author
    author_id: str | None = None  # the operator's id; the citizen's own sub is not repeated
    text: str


@dataclass
class TicketDeps:
    tickets: TicketRepository
    applications: ApplicationStore
    hasher: KeyedHasher
    notifier: Notifier
    store: DocumentStore
    clock: Clock


# --- the request bodies ---------------------------------------------------------------------------------


def _fail(code: str) -> PydanticCustomError:
    return PydanticCustomError(code, field_message(code))


def _normalise_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # lazy: only forms need it

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise _fail("email_format") from None


class ScreenshotRequest(BaseModel):
    content_type: str
    size: StrictInt  # a number of bytes: not `true`, `1.5` or `"12"` (pydantic's lax mode takes them)

    @field_validator("content_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value.strip().lower() not in SCREENSHOT_TYPES:
            raise _fail("screenshot_type")
        return value.strip().lower()

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        if not 0 < value <= SCREENSHOT_MAX_SIZE:
            raise _fail("screenshot_size")
        return value


class TicketRequest(BaseModel):
    """`POST /support/tickets`: lenient on form (`8 (912) ...` phones), strict on substance."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", frozen=True)

    inn: str
    full_name: FullName
    phone: str
    description: str
    channel: Literal["form", "email"] = "form"
    email: str | None = None
    application_id: str | None = None
    screenshot: ScreenshotRequest | None = None

    @field_validator("inn")
    @classmethod
    def _inn(cls, value: str) -> str:
        code = identifiers.inn_error(value)
        if code:
            raise _fail(code)
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        normalised = identifiers.normalise_phone(value)
        if normalised is None:
            raise _fail("phone_format")
        return normalised

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        low, high = DESCRIPTION_LENGTH
        if not low <= len(value) <= high:
            raise _fail("description_length")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _normalise_email(value) if value else None

    @field_validator("application_id")
    @classmethod
    def _application_id(cls, value: str | None) -> str | None:
        if value and len(value) > MAX_ID_LENGTH:
            raise _fail("application_not_found")  # no id of ours is that long (and keys have a size limit)
        return value or None


class MessageRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", frozen=True)

    text: str

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        low, high = MESSAGE_LENGTH
        if not low <= len(value) <= high:
            raise _fail("message_length")
        return value


class TicketChange(BaseModel):
    """`PATCH /operator/tickets/{id}`: any of assign, answer, change the status."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", frozen=True)

    assignee: str | None = None
    status: Literal["in_progress", "answered", "resolved"] | None = None
    answer: str | None = None

    @field_validator("assignee")
    @classmethod
    def _assignee(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value) <= 100:
            raise _fail("invalid_value")
        return value

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str | None) -> str | None:
        low, high = MESSAGE_LENGTH
        if value is not None and not low <= len(value) <= high:
            raise _fail("message_length")
        return value


_TYPE_CODES = {"missing": "missing_field", "literal_error": "invalid_value", "int_parsing": "invalid_type"}


def _field_errors(exc: ValidationError, raw: dict[str, Any]) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "body"
        kind = error["type"]
        code = kind if kind in _OWN_CODES else _TYPE_CODES.get(kind, "invalid_type" if kind.endswith("_type") else "")
        code = code or "invalid_value"
        found: list[str] | None = None
        if (field, code) == ("inn", "inn_checksum"):
            found = inn_suggestions(str(raw.get("inn", "")).strip()) or None
        message = field_message(code)
        if found:
            message += TICKET_SUGGESTIONS_HINT.format(numbers=", ".join(found))
        errors.append(FieldError(field=field, code=code, message=message, suggestions=found))
    return errors


_OWN_CODES = frozenset(
    {
        "inn_format",
        "inn_region",
        "inn_checksum",
        "name_format",
        "phone_format",
        "email_format",
        "description_length",
        "message_length",
        "screenshot_type",
        "screenshot_size",
        "application_not_found",
        "invalid_value",
    }
)


def _object(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid([FieldError(field="body", code="invalid_json", message=field_message("invalid_json"))])
    return raw


def parse_ticket_request(raw: object) -> TicketRequest:
    """The request, or InvalidInput with every field error at once."""
    data = _object(raw)
    errors: list[FieldError] = []
    request: TicketRequest | None = None
    try:
        request = TicketRequest.model_validate(data)
    except ValidationError as exc:
        errors = _field_errors(exc, data)
    if data.get("channel") == "email" and not data.get("email") and "email" not in {e.field for e in errors}:
        errors.append(FieldError(field="email", code="missing_field", message=field_text("ticket_email_missing")))
    if errors or request is None:
        raise invalid(errors)
    return request


def parse_message(raw: object) -> MessageRequest:
    data = _object(raw)
    try:
        return MessageRequest.model_validate(data)
    except ValidationError as exc:
        raise invalid(_field_errors(exc, data)) from None


def parse_change(raw: object) -> TicketChange:
    data = _object(raw)
    try:
        change = TicketChange.model_validate(data)
    except ValidationError as exc:
        raise invalid(_field_errors(exc, data)) from None
    if change.assignee is None and change.status is None and change.answer is None:
        raise invalid([FieldError(field="body", code="missing_field", message=field_text("ticket_change_missing"))])
    if change.status == "answered" and change.answer is None:
        raise invalid([FieldError(field="answer", code="missing_field", message=field_text("ticket_answer_missing"))])
    return change


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
