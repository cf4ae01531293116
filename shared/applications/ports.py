"""What the application use cases need from storage and the workflow engine, one small port each.

Adapters in `shared/adapters/` implement them over AWS; tests implement them in memory
(tests/support/fakes.py), and tests/integration/test_store_contracts.py holds both to the same tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from shared.applications.models import Application, HistoryEntry, Status
from shared.core.paging import Page

REVIEW_QUEUE: Literal["review_queue"] = "review_queue"
"""Applications waiting for an operator's decision (stage review, in progress): a shelf of their own,
apart from the other `in_progress` ones."""

Shelf = Status | Literal["review_queue"]
"""Where an application waits: its status, or the review queue (see REVIEW_QUEUE)."""


@dataclass(frozen=True)
class Transition:
    """A status change: the new item attributes and the history line that records it."""

    application: Application
    expected_version: int
    history: HistoryEntry
    release_inn: bool = False
    acquire_inn: bool = False  # the INN was just found: take its lock in the same write


class ApplicationStore(Protocol):
    """Applications, their history, their INN locks and partner keys."""

    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        """Store a new application, its first history line, its INN lock and partner key atomically.

        Raises DuplicateApplication if the INN is held, DuplicatePartnerRequest if the partner's
        request was already taken.
        """

    def get(self, application_id: str) -> Application | None: ...

    def history(self, application_id: str) -> list[HistoryEntry]: ...

    def transition(self, change: Transition) -> None:
        """Write a status change if the stored version is still `expected_version` (else ConcurrentUpdate)."""

    def set_execution(self, application_id: str, execution_arn: str) -> None: ...

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None: ...

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Application]:
        """A citizen's applications, newest first."""

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[Application]:
        """Applications in a status (those in the review queue excepted), least recently changed first."""

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page[Application]: ...

    def list_review_queue(self, limit: int, next_token: str | None) -> Page[Application]:
        """Waiting for an operator's decision, oldest first."""

    def list_created_before(
        self, shelf: Shelf, cutoff: datetime, limit: int, next_token: str | None
    ) -> Page[Application]:
        """Applications on a shelf (a status, or the review queue) created before `cutoff`."""


class Claims(Protocol):
    """Applications submitted for a citizen (office, partner) before the citizen signed in."""

    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        """Applications submitted for this SNILS that no citizen owns yet."""

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        """Make `owner_sub` the owner if the application is still unowned and carries this SNILS hash."""


class StageStatistics(Protocol):
    """How long each stage took, for the ETA shown to citizens."""

    def record_stage_time(self, stage: str, seconds: float) -> None:
        """Add one measured stage duration (best effort: a lost sample only blurs an estimate)."""

    def stage_times(self) -> dict[str, tuple[int, float]]:
        """Per stage: how many durations were measured and their sum in seconds."""


class WorkflowStarter(Protocol):
    def start(self, application_id: str, correlation_id: str, *, confirm_contact: bool, has_inn: bool = True) -> str:
        """Start the onboarding workflow named after the application; idempotent. Returns its ARN."""


class DeadLetters(Protocol):
    def send(self, body: str, attributes: dict[str, str]) -> None:
        """Park a message that can never succeed, with its reason as attributes."""
