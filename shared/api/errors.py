"""The one map from domain errors to HTTP answers, registered once for every API function.

A domain error's `kind` picks the status (an invalid query string is 400, an invalid body 422);
its `code` picks the title and detail from shared/core/messages.py. Powertools' idempotency
errors (a retried POST still running, or its key reused with another body) are mapped here too.
Anything else is a crash: logged, and answered 500 without its details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.core.errors import DomainError, ErrorKind

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAVAILABLE: 503,
}
# The one code whose status is not its kind's: a service in front of us failed (a gateway's 502).
STATUS_BY_CODE: dict[str, int] = {"identity_provider_unavailable": 502}
IDEMPOTENCY_RETRY_AFTER_SECONDS = 2


def status_of(error: DomainError, method: str) -> int:
    """A refused query string (a GET) is a bad request; a refused body is unprocessable."""
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    if error.kind is ErrorKind.INVALID and method.upper() == "GET":
        return 400
    return STATUS_BY_KIND[error.kind]


def answer(error: DomainError, method: str) -> Response[str]:
    """The RFC 9457 problem for a domain error."""
    from shared.api.http import problem
    from shared.core.messages import problem_detail

    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return problem(
        status_of(error, method),
        error.code,
        detail=problem_detail(error.code, error.variant, error.params),
        errors=error.errors,
        headers=headers,
        extra=error.extra,
    )


def unexpected(error: Exception, logger: Any) -> Response[str]:
    """What is not a domain error: Powertools' idempotency refusals, else a crash (500, logged).

    The idempotency module is imported here, not at cold start: its errors can only be raised
    after a request has imported it."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from shared.api.http import problem

    if isinstance(error, IdempotencyAlreadyInProgressError):
        return problem(409, "idempotency_conflict", headers={"Retry-After": str(IDEMPOTENCY_RETRY_AFTER_SECONDS)})
    if isinstance(error, IdempotencyValidationError):
        return answer(DomainError("validation_failed", ErrorKind.INVALID, variant="idempotency_key"), "POST")
    logger.exception("unhandled error")
    return problem(500, "internal_error")


def install(app: APIGatewayRestResolver, logger: Any) -> None:
    """Register the answers every API function gives alike (once, in shared/api/resolver.py)."""
    from shared.api.http import problem
    from shared.core.messages import problem_detail

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        return answer(error, app.current_event.http_method)

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return problem(404, "not_found", detail=problem_detail("not_found", "route"))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        return unexpected(error, logger)
