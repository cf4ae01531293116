"""Ports: what the domain logic needs from the outside world, as small protocols.

Adapters in `shared/adapters/` implement them over AWS and HTTP; tests implement them in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from shared.applications.models import Application, HistoryEntry


@dataclass(frozen=True)
class Page:
    items: list[Application]
    next_token: str | None


@dataclass(frozen=True)
class Transition:
    """A status change: the new item attributes and the history line that records it."""

    application: Application
    expected_version: int
    history: HistoryEntry
    release_inn: bool = False
    acquire_inn: bool = False  # the INN was just found: take its lock in the same write


class ApplicationRepository(Protocol):
    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        """Store a new application, its first history line, its INN lock and partner key atomically.

        Raises DuplicateApplication if the INN is held, DuplicatePartnerRequest if the partner's
        request was already taken.
        """

    def get(self, application_id: str) -> Application | None: ...

    def history(self, application_id: str) -> list[HistoryEntry]: ...

    def transition(self, change: Transition) -> None:
        """Write a status change if the stored version is still `expected_version` (else ConcurrentUpdate)."""

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None: ...

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page: ...

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page: ...

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page: ...

    def list_review_queue(self, limit: int, next_token: str | None) -> Page: ...

    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        """Applications submitted for this SNILS (office, partner) that no citizen owns yet."""

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        """Make `owner_sub` the owner if the application is still unowned and carries this SNILS hash."""

    def list_created_before(self, partition: str, cutoff: datetime, limit: int, next_token: str | None) -> Page:
        """Applications of a status (or queue) partition created before `cutoff`."""

    def set_execution(self, application_id: str, execution_arn: str) -> None: ...

    def put_code(self, application_id: str, code: ContactCode) -> None:
        """Store the current contact code (replacing any earlier one), expiring with a TTL."""

    def get_code(self, application_id: str) -> ContactCode | None: ...

    def count_wrong_try(self, application_id: str, attempts_seen: int) -> bool:
        """Add one wrong try if the stored count is still `attempts_seen`."""

    def delete_code(self, application_id: str, code_hash: str) -> bool:
        """Use the code up; False if it was already used or replaced."""

    def put_document(self, application_id: str, document: dict[str, object]) -> None: ...

    def get_document(self, application_id: str, document_id: str) -> dict[str, object] | None: ...

    def list_documents(self, application_id: str) -> list[dict[str, object]]: ...

    def record_stage_time(self, stage: str, seconds: float) -> None:
        """Add one measured stage duration (best effort: a lost sample only blurs an estimate)."""

    def stage_times(self) -> dict[str, tuple[int, float]]:
        """Per stage: how many durations were measured and their sum in seconds."""


class ContactCode(BaseModel):
    """A contact code as stored: its keyed hash only, never the code."""

    code_hash: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0


class Notifier(Protocol):
    def send_sms(self, phone: str, text: str) -> None: ...

    def send_email(self, to: str, subject: str, text: str) -> None: ...


class TaskCallbacks(Protocol):
    def succeed(self, task_token: str, output: dict[str, object]) -> None:
        """Resume a workflow that waits on `task_token`."""


class DocumentStore(Protocol):
    def presign_upload(self, key: str, content_type: str, size: int, expires_seconds: int) -> dict[str, object]:
        """`{url, fields}`: a presigned POST that accepts exactly this content type and at most `size` bytes."""

    def presign_download(self, key: str, expires_seconds: int) -> str: ...


class KeyedHasher(Protocol):
    def digest(self, value: str) -> str:
        """A keyed hash (HMAC) of a personal identifier, safe to use as a lookup key."""


class WorkflowStarter(Protocol):
    def start(self, application_id: str, correlation_id: str, *, confirm_contact: bool, has_inn: bool = True) -> str:
        """Start the onboarding workflow named after the application; idempotent. Returns its ARN."""


@dataclass(frozen=True)
class FnsRecord:
    inn: str
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    passport_series: str | None
    passport_number: str | None


@dataclass(frozen=True)
class InnQuery:
    """FNS "Узнать ИНН": surname, name, patronymic, birth date, passport (document type 21)."""

    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    passport_series: str
    passport_number: str
    issued_on: date


class FnsRegistry(Protocol):
    def lookup(self, inn: str) -> FnsRecord | None:
        """The registry's record for an INN, None if unknown; raises FnsUnavailable on a transient fault."""

    def submit_inn_request(self, query: InnQuery) -> str:
        """Ask FNS to find an INN by passport (asynchronous); returns the request id."""

    def poll_inn_request(self, request_id: str) -> tuple[str, str | None]:
        """(`working` | `found` | `not_found`, the INN when found)."""


class Clock(Protocol):
    def now(self) -> datetime: ...
