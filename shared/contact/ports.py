"""What contact confirmation stores: the current code of an application, as a keyed hash."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel


class ContactCode(BaseModel):
    """A contact code as stored: its keyed hash only, never the code."""

    code_hash: str
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0


class ContactCodeStore(Protocol):
    def put_code(self, application_id: str, code: ContactCode) -> None:
        """Store the current contact code (replacing any earlier one), expiring with a TTL."""

    def get_code(self, application_id: str) -> ContactCode | None: ...

    def count_wrong_try(self, application_id: str, attempts_seen: int) -> bool:
        """Add one wrong try if the stored count is still `attempts_seen` (atomic: two concurrent
        wrong tries cannot both count as one)."""

    def delete_code(self, application_id: str, code_hash: str) -> bool:
        """Use the code up; False if it was already used or replaced."""
