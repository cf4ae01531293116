"""The resolver every API function uses, and its entry point: one error map, one last line."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.api import errors
from shared.api.http import correlation_id_of, raw_problem, too_large

_INVOCATION: dict[str, Any] = {"context": None}


def lambda_context() -> Any:
    """The Lambda context of the invocation being answered (None outside one)."""
    return _INVOCATION["context"]


def api(logger: Any) -> APIGatewayRestResolver:
    """A REST resolver with the answers every API function gives alike (shared/api/errors.py).

    No request validation by Powertools (`enable_validation`): it would import its OpenAPI models
    at cold start; bodies are parsed by the use cases' own models."""
    app = APIGatewayRestResolver()
    errors.install(app, logger)
    return app


def handle(app: APIGatewayRestResolver, event: dict[str, Any], context: Any, logger: Any) -> dict[str, Any]:
    """Resolve a request; a body past the limit is refused before parsing, and an error the
    resolver could not answer is logged and answered 500 without its details."""
    _INVOCATION["context"] = context
    logger.append_keys(correlation_id=correlation_id_of(event))
    if too_large(event):
        return raw_problem(413, "payload_too_large")
    try:
        return app.resolve(event, context)
    except Exception:
        logger.exception("unhandled error")
        return raw_problem(500, "internal_error")
