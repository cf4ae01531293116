"""Support tickets as stored: statuses, channels, authors, the ticket, its messages and complaint,
and the answer targets they are held to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.applications.models import FullName
from shared.core.messages import TICKET_STATUS_LABELS

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


class Screenshot(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    key: str
    content_type: str
    size: int


class Complaint(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    number: str
    filed_at: datetime
    addressee: str = FNS
    reason: str = "no_answer_10_working_days"


class Ticket(BaseModel):
    """The stored ticket. `version` guards every change (optimistic locking, as for applications)."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

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
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    message_id: str
    at: datetime
    author: Author
    author_id: str | None = None  # the operator's id; the citizen's own sub is not repeated
    text: str
