"""What the access journal needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from shared.core.paging import Page

if TYPE_CHECKING:
    from shared.journal.access import AccessEntry


class AccessJournal(Protocol):
    def record(self, entries: Sequence[AccessEntry]) -> None:
        """Append entries (all land or the call raises: an access without its record is a fault)."""

    def list(self, subject_sub: str, limit: int, next_token: str | None) -> Page[AccessEntry]:
        """A citizen's entries, newest first."""

    def reassign(self, from_subject: str, to_subject: str) -> int:
        """Move every entry of `from_subject` to `to_subject` (idempotent); how many moved."""
