"""Reading a request: page size and token, query values, headers, the JSON body."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def limit(app: APIGatewayRestResolver) -> int:
    """`?limit=`: 1..100, anything else the default. ASCII digits only: `"¹".isdigit()` is true and
    `int("¹")` raises."""
    raw = app.current_event.get_query_string_value("limit", str(DEFAULT_LIMIT)) or str(DEFAULT_LIMIT)
    return max(1, min(MAX_LIMIT, int(raw))) if raw.isascii() and raw.isdigit() else DEFAULT_LIMIT


def query(app: APIGatewayRestResolver, name: str, default: str | None = None) -> str | None:
    return app.current_event.get_query_string_value(name, default)


def next_token(app: APIGatewayRestResolver) -> str | None:
    return query(app, "next_token")


def header(app: APIGatewayRestResolver, name: str) -> str | None:
    """A header by name, in any case (API Gateway passes them as the client sent them)."""
    wanted = name.lower()
    return next((v for k, v in (app.current_event.headers or {}).items() if k.lower() == wanted), None)


def bearer_token(app: APIGatewayRestResolver) -> str:
    """The caller's own access token (to ask the identity provider about them, and only them)."""
    return (header(app, "authorization") or "").partition(" ")[2].strip()


def body_text(app: APIGatewayRestResolver) -> str:
    return app.current_event.body or ""


def body_bytes(app: APIGatewayRestResolver) -> bytes:
    event = app.current_event
    raw: str | bytes | None = event.decoded_body if event.is_base64_encoded else event.body
    return raw.encode() if isinstance(raw, str) else (raw or b"")


def json_body(app: APIGatewayRestResolver) -> Any:
    """The JSON body, or None when it is absent or not JSON (the use case's model then says what is wrong)."""
    try:
        return json.loads(app.current_event.body or "null")
    except json.JSONDecodeError:
        return None
