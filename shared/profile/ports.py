"""What profile change requests need from storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from shared.core.paging import Page

if TYPE_CHECKING:
    from shared.profile.changes import ChangeRequest


class ChangeRequestStore(Protocol):
    def create(self, request: ChangeRequest) -> None: ...

    def get(self, request_id: str) -> ChangeRequest | None: ...

    def save(self, request: ChangeRequest, expected_version: int) -> None:
        """Write if the stored version is still `expected_version` (else ConcurrentUpdate)."""

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        """A citizen's requests, newest first."""

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        """Oldest first: the operators' queue."""
