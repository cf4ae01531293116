"""Domain errors. Their class names are part of the workflow contract: Step Functions' Retry
matches `FnsUnavailable` and `TransientStorageError` by the Lambda error type."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.applications.models import FieldError


class DomainError(Exception):
    """Base class: an expected outcome the caller must answer, not a crash."""


class InvalidApplication(DomainError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} field error(s): " + ", ".join(f"{e.field}:{e.code}" for e in errors))
        self.errors = errors


class DuplicateApplication(DomainError):
    """Another application holds this INN (in progress or ready)."""

    def __init__(self, existing_id: str, owner_sub: str | None) -> None:
        super().__init__("an application for this INN is already active")
        self.existing_id = existing_id
        self.owner_sub = owner_sub


class ApplicationNotFound(DomainError):
    pass


class AccessDenied(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ConcurrentUpdate(DomainError):
    """The application changed since it was read: the caller lost the race and must re-read."""


class TransientStorageError(Exception):
    """A storage fault worth retrying (throttling, a transaction conflict)."""


class FnsUnavailable(Exception):
    """The FNS registry timed out, answered 5xx or rate-limited us: retry with backoff."""


class DuplicatePartnerRequest(DomainError):
    """The partner already sent this request: the application it made is the answer."""

    def __init__(self, existing_id: str) -> None:
        super().__init__("partner request already taken")
        self.existing_id = existing_id


class InvalidPageToken(DomainError):
    pass
