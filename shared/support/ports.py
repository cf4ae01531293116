"""What support tickets need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.core.paging import Page

if TYPE_CHECKING:
    from shared.support.models import Complaint, Ticket, TicketMessage, TicketStatus


class TicketRepository(Protocol):
    def next_number(self, counter: str) -> int:
        """The next number of a counter (`tickets`, `complaints`); numbers are never reused."""

    def create(self, ticket: Ticket, messages: Sequence[TicketMessage] = ()) -> bool:
        """Store a new ticket with its first messages; False if a ticket with its id exists."""

    def get(self, ticket_id: str) -> Ticket | None: ...

    def messages(self, ticket_id: str) -> list[TicketMessage]:
        """The ticket's conversation, oldest first."""

    def save(
        self,
        ticket: Ticket,
        expected_version: int,
        messages: Sequence[TicketMessage] = (),
        complaint: Complaint | None = None,
    ) -> None:
        """Write a change (and its messages, and the complaint record) if the stored version is still
        `expected_version`; else ConcurrentUpdate and nothing is written."""

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Ticket]:
        """A citizen's tickets, newest first."""

    def list_by_status(
        self, statuses: Sequence[TicketStatus], limit: int, next_token: str | None, due_before: datetime | None = None
    ) -> Page[Ticket]:
        """Tickets in these statuses (one status after another), earliest answer target first;
        with `due_before`, only those whose target is earlier."""
