"""Pydantic models at the service's boundaries: the application body, the stored application, the status view.

Field validators raise `PydanticCustomError(code, message)` with the stable codes and Russian
messages of `shared.core.messages`, so a pydantic ValidationError maps straight onto problem+json.
Lenient on form (spaces and dashes, `8 (912) ...` phones), strict on substance.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.core import identifiers
from shared.core.errors import FieldError
from shared.core.messages import STATUS_LABELS, field_message

_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё' \-]{0,99}$")


def _fail(code: str) -> PydanticCustomError:
    return PydanticCustomError(code, field_message(code))


def date_text(value: object) -> object:
    """A date comes as ISO text (`YYYY-MM-DD`): pydantic's lax mode would take a number as epoch
    seconds (`0` → 1970-01-01), which then slips past the checks that read the raw text."""
    if isinstance(value, int | float):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


def _today(info: ValidationInfo) -> date:
    ctx = info.context or {}
    today = ctx.get("today")
    return today if isinstance(today, date) else date.today()


class Channel(StrEnum):
    PORTAL = "portal"
    MOBILE = "mobile"
    SIGNED_XML = "signed_xml"
    OFFICE = "office"
    PARTNER = "partner"


class Status(StrEnum):
    IN_PROGRESS = "in_progress"
    NEEDS_CLARIFICATION = "needs_clarification"
    READY = "ready"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.value]


class Stage(StrEnum):
    CONTACT_CONFIRMATION = "contact_confirmation"
    INN_LOOKUP = "inn_lookup"
    FNS_CHECK = "fns_check"
    CLARIFICATION = "clarification"
    REVIEW = "review"
    ACTIVATION = "activation"
    COMPLETED = "completed"


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, str_strip_whitespace=True, extra="ignore", frozen=True)


class FullName(_Strict):
    last: str
    first: str
    middle: str | None = None

    @field_validator("last", "first", "middle")
    @classmethod
    def _name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if value == "":
            if info.field_name != "middle":  # a blank surname or first name is a missing one, never None
                raise PydanticCustomError("missing", field_message("missing_field"))
            return None
        if not _NAME.match(value):
            raise _fail("name_format")
        return value


class Passport(_Strict):
    series: str
    number: str
    issued_on: date
    division_code: str

    _issued_on_text = field_validator("issued_on", mode="before")(date_text)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{6}", value):
            raise _fail("passport_format")
        return value

    @field_validator("series")
    @classmethod
    def _series(cls, value: str) -> str:
        compact = value.replace(" ", "")
        if not re.fullmatch(r"[0-9]{4}", compact):
            raise _fail("passport_format")
        return compact

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str) -> str:
        if not identifiers.division_code_ok(value):
            raise _fail("division_code_format")
        return value


class Address(_Strict):
    text: str
    fias_id: str | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if len(value) < 5 or len(value) > 500:
            raise _fail("address_format")
        return value


class ApplicationBody(_Strict):
    """The application as a citizen, an operator or a partner sends it (docs/api.md; field names fixed)."""

    inn: str | None = None
    snils: str
    birth_date: date
    email: str
    phone: str
    full_name: FullName
    passport: Passport
    address: Address
    workplace: str | None = Field(default=None, max_length=300)
    channel: Channel = Channel.PORTAL
    confirmation_channel: Literal["sms", "email"] = "sms"

    _birth_date_text = field_validator("birth_date", mode="before")(date_text)

    @field_validator("inn")
    @classmethod
    def _inn(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        code = identifiers.inn_error(value)
        if code:
            raise _fail(code)
        return value

    @field_validator("snils")
    @classmethod
    def _snils(cls, value: str) -> str:
        code = identifiers.snils_error(value)
        if code:
            raise _fail(code)
        digits = identifiers.snils_digits(value)
        assert digits is not None  # snils_error checked the form
        return identifiers.format_snils(digits)

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, value: date, info: ValidationInfo) -> date:
        today = _today(info)
        if value.year < 1900 or identifiers.birthday(value, 14) > today:
            raise _fail("birth_date_range")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        normalised = identifiers.normalise_phone(value)
        if normalised is None:
            raise _fail("phone_format")
        return normalised

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        from email_validator import EmailNotValidError, validate_email  # lazy: only forms need it

        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise _fail("email_format") from None
        return checked.normalized.lower()


class RejectionReason(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    code: str
    message: str
    fix: str


class RequiredAction(BaseModel):
    """What must happen next and who must do it; the optional lists say exactly what is asked."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    code: str
    message: str | None = None
    fields: list[str] | None = None
    documents: list[str] | None = None
    details: list[dict[str, str]] | None = None


class HistoryEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    status: Status
    stage: Stage
    at: datetime
    note: str
    actor: str = "system"


class Application(BaseModel):
    """The stored application. `version` guards every status change (optimistic locking)."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    application_id: str
    status: Status
    stage: Stage
    channel: Channel
    owner_sub: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    body: ApplicationBody
    inn_hash: str | None = None
    snils_hash: str | None = None  # keyed hash: an office or partner application finds its citizen
    required_actions: list[RequiredAction] = []
    rejection_reasons: list[RejectionReason] = []
    mismatches: list[str] = []
    verification_outcome: str | None = None
    cabinet: dict[str, Any] | None = None
    partner_id: str | None = None
    request_id: str | None = None
    operator_id: str | None = None
    correlation_id: str | None = None
    execution_arn: str | None = None
    task_token: str | None = None
    inn_request_id: str | None = None
    deadline_ticket: str | None = None
    failure: dict[str, str] | None = None
    warnings: list[FieldError] = []


class HistoryView(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    status: Status
    stage: Stage
    at: datetime
    note: str


class StatusView(BaseModel):
    """What a citizen, an operator or a partner sees of an application (docs/api.md)."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    application_id: str
    status: Status
    status_label: str
    stage: Stage
    channel: Channel
    created_at: datetime
    updated_at: datetime
    expected_ready_at: datetime | None
    required_actions: list[RequiredAction]
    rejection_reasons: list[RejectionReason]
    history: list[HistoryView]
    warnings: list[FieldError] = []
    submitted_by_operator: str | None = None  # the office channel: who keyed the application in
