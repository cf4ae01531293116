"""What a citizen or an operator sends about a ticket, checked field by field (all errors at once,
Russian messages, stable codes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from shared.applications.models import FullName
from shared.applications.typo_help import inn_suggestions
from shared.core import identifiers
from shared.core.errors import FieldError, InvalidInput
from shared.core.messages import TICKET_SUGGESTIONS_HINT, field_message, field_text
from shared.support.models import (
    DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MESSAGE_LENGTH,
    SCREENSHOT_MAX_SIZE,
    SCREENSHOT_TYPES,
)


def invalid(errors: list[FieldError]) -> InvalidInput:
    """Field errors of a ticket request (their detail speaks of a ticket, not of an application)."""
    return InvalidInput(errors, variant="ticket")


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
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
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

    model_config = ConfigDict(defer_build=True, str_strip_whitespace=True, extra="ignore", frozen=True)

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
    model_config = ConfigDict(defer_build=True, str_strip_whitespace=True, extra="ignore", frozen=True)

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

    model_config = ConfigDict(defer_build=True, str_strip_whitespace=True, extra="ignore", frozen=True)

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
