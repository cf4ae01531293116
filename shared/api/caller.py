"""Who calls, and what their role lets them reach (the authorizer's context, never the body)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.api.http import Caller
from shared.core.errors import AccessDenied

__all__ = ["Caller", "caller", "citizen", "operator"]


def caller(app: APIGatewayRestResolver) -> Caller:
    return Caller.from_event(app.current_event.raw_event)


def operator(app: APIGatewayRestResolver, variant: str | None = None) -> Caller:
    """An operator, else 403 (`variant`: whose desk it is, for the text)."""
    found = caller(app)
    if not found.is_operator:
        raise AccessDenied(variant=variant)
    return found


def citizen(app: APIGatewayRestResolver) -> Caller:
    """A citizen: an operator's own data is not kept here (403)."""
    found = caller(app)
    if found.is_operator:
        raise AccessDenied()
    return found
