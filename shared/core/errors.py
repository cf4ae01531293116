"""Domain errors: one model for every expected refusal.

A domain error carries a stable `code` (the API's `code`, the key of its Russian texts in
shared/core/messages.py) and a `kind` (what sort of refusal it is); the HTTP edge
(shared/api/errors.py) alone turns kinds into statuses and codes into texts, so no domain
module knows HTTP. Optional parts: field `errors`, a `variant` of the code's text (the same
code said of a ticket or of a change request), `params` for that text, `extra` members of the
answer (`tries_left`, `existing_application_id`) and `retry_after` seconds.

Some class names are part of the workflow contract: Step Functions' Retry matches
`FnsUnavailable` and `TransientStorageError` by the Lambda error type; keep those names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    """One field's problem, as every invalid-input answer lists it (RFC 9457 `errors` member)."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    field: str
    code: str
    message: str
    suggestions: list[str] | None = None


class ErrorKind(StrEnum):
    """What sort of refusal an error is; the edge maps each to one status."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"
    UNAVAILABLE = "unavailable"


class DomainError(Exception):
    """An expected outcome the caller must answer, not a crash. `str(error)` is the code alone:
    a message may quote personal data, and exceptions reach the logs."""

    default_code = "invalid_value"
    default_kind = ErrorKind.INVALID

    def __init__(
        self,
        code: str | None = None,
        kind: ErrorKind | None = None,
        *,
        errors: list[FieldError] | None = None,
        variant: str | None = None,
        params: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        super().__init__(self.code)
        self.kind = kind or self.default_kind
        self.errors: list[FieldError] = list(errors or [])
        self.variant = variant
        self.params = dict(params or {})
        self.extra = dict(extra or {})
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """A request that breaks the rules of its fields (a body, a query string): every field error at once."""

    default_code = "validation_failed"

    def __init__(self, errors: list[FieldError], *, variant: str | None = None) -> None:
        super().__init__(errors=errors, variant=variant)

    def __str__(self) -> str:
        return f"{len(self.errors)} field error(s): " + ", ".join(f"{e.field}:{e.code}" for e in self.errors)


class InvalidApplication(InvalidInput):
    """The application body breaks its rules (shared/applications/validation.py)."""


class InvalidPageToken(InvalidInput):
    """A `next_token` that is not one of ours (or is from another list)."""

    def __init__(self) -> None:
        from shared.core.messages import field_message

        super().__init__([FieldError(field="next_token", code="invalid_value", message=field_message("invalid_value"))])


class NotFound(DomainError):
    """Unknown, or not the caller's (the same answer: no existence leak)."""

    default_code = "not_found"
    default_kind = ErrorKind.NOT_FOUND


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: str = "") -> None:
        super().__init__()
        self.application_id = application_id


class AccessDenied(DomainError):
    default_code = "forbidden"
    default_kind = ErrorKind.FORBIDDEN

    def __init__(self, code: str = "forbidden", *, variant: str | None = None) -> None:
        super().__init__(code, variant=variant)


class Conflict(DomainError):
    """The resource's state does not allow the action now."""

    default_kind = ErrorKind.CONFLICT


class DuplicateApplication(Conflict):
    """Another application holds this INN (in progress or ready). Its id is shown only to its owner
    (`shown_to`)."""

    def __init__(self, existing_id: str, owner_sub: str | None) -> None:
        super().__init__("duplicate_application")
        self.existing_id = existing_id
        self.owner_sub = owner_sub

    def shown_to(self, sub: str) -> DuplicateApplication:
        if self.owner_sub and self.owner_sub == sub:
            self.extra["existing_application_id"] = self.existing_id
        return self


class ConcurrentUpdate(Conflict):
    """The record changed since it was read: the caller lost the race and must re-read."""

    def __init__(self, resource_id: str = "", code: str = "concurrent_update") -> None:
        super().__init__(code)
        self.resource_id = resource_id


class DuplicatePartnerRequest(Conflict):
    """The partner already sent this request: the application it made is the answer."""

    def __init__(self, existing_id: str) -> None:
        super().__init__("duplicate_partner_request")
        self.existing_id = existing_id


class RateLimited(DomainError):
    """Too many tries, or too soon: `retry_after` says when to try again, if known."""

    default_kind = ErrorKind.RATE_LIMITED


class Unavailable(DomainError):
    """A service we depend on did not answer, or a channel is not configured."""

    default_kind = ErrorKind.UNAVAILABLE


class IdentityProviderUnavailable(Unavailable):
    """The identity provider did not answer (or answered a fault): the citizen can fill the form by hand."""

    def __init__(self, reason: str = "") -> None:
        super().__init__("identity_provider_unavailable")
        self.reason = reason


class TransientStorageError(Exception):
    """A storage fault worth retrying (throttling, a transaction conflict)."""


class FnsUnavailable(Exception):
    """The FNS registry timed out, answered 5xx or rate-limited us: retry with backoff."""
