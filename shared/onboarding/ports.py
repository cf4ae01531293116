"""What the applications API's use cases need beyond the subdomains' own ports: the identity
provider's record of the caller, and the idempotency of a submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class IdentityProvider(Protocol):
    def person(self, access_token: str) -> dict[str, Any] | None:
        """The caller's record (asked with their own token); None if the provider knows none.
        Raises IdentityProviderUnavailable when it does not answer."""


class Deduplicator(Protocol):
    def once(self, request: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run `work` once per request key; a repeat answers the first result. A repeat with another
        body hash, or while the first still runs, is refused."""
