"""HTTP shaping shared by the API handlers: the caller from the authorizer, RFC 9457 problems."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from shared.applications.models import FieldError
from shared.core.messages import PROBLEM_DETAILS, PROBLEM_TITLES, problem_body
from shared.journal.access import Accessor, ActorRole

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024  # JSON bodies are a few KB, a signed XML application at most 64 KiB


@dataclass(frozen=True)
class Caller:
    """Who calls, as the authorizer established it (never from the request body)."""

    sub: str
    level: str
    roles: frozenset[str]

    @property
    def is_operator(self) -> bool:
        return "operator" in self.roles

    source_ip: str = ""

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Caller:
        context = event.get("requestContext") or {}
        ctx = context.get("authorizer") or {}
        roles = frozenset(r for r in str(ctx.get("roles") or "").split(",") if r)
        ip = str((context.get("identity") or {}).get("sourceIp") or "")
        return cls(sub=str(ctx.get("sub") or ""), level=str(ctx.get("level") or ""), roles=roles, source_ip=ip)

    @property
    def accessor(self) -> Accessor:
        """The caller as the access journal names them (an operator by id, a citizen by sub)."""
        role = ActorRole.OPERATOR if self.is_operator else ActorRole.CITIZEN
        return Accessor(role=role, actor_id=self.sub, source=f"api {self.source_ip}".strip())


def problem(
    status: int,
    code: str,
    *,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[str]:
    body = problem_body(
        status,
        code,
        PROBLEM_TITLES.get(code, code),
        detail or PROBLEM_DETAILS.get(code, PROBLEM_TITLES.get(code, code)),
        [e.model_dump() for e in errors or []],
        **(extra or {}),
    )
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers,
    )


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(payload, ensure_ascii=False, default=str),
        headers=headers,
    )


def raw_problem(
    status: int, code: str, headers: dict[str, str] | None = None, detail: str | None = None
) -> dict[str, Any]:
    """A problem as a finished proxy response, for answers given outside the resolver (its last
    line of defence against an unhandled error: never a stack trace, or its data, to the client)."""
    headers = headers or {}
    response = problem(status, code, detail=detail, headers=headers)
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_JSON, **headers},
        "body": response.body,
        "isBase64Encoded": False,
    }


def install_problem_handlers(app: APIGatewayRestResolver) -> None:
    """The answers every API function gives alike; a function may register its own after this to
    say more (the last registration for an exception wins)."""
    from shared.core.errors import AccessDenied, InvalidApplication, InvalidPageToken
    from shared.core.messages import field_message

    @app.exception_handler(InvalidApplication)
    def _invalid(error: InvalidApplication) -> Response[str]:
        status = 400 if app.current_event.http_method == "GET" else 422
        return problem(status, "validation_failed", errors=error.errors)

    @app.exception_handler(AccessDenied)
    def _denied(error: AccessDenied) -> Response[str]:
        return problem(403, error.code)

    @app.exception_handler(InvalidPageToken)
    def _bad_token(_: InvalidPageToken) -> Response[str]:
        message = field_message("invalid_value")
        return problem(
            400, "validation_failed", errors=[FieldError(field="next_token", code="invalid_value", message=message)]
        )

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return problem(404, "not_found", detail="Такого адреса в API нет.")


def too_large(event: dict[str, Any]) -> bool:
    """Past the WAF's own limit (infra/components/api.py) too: the functions hold the line themselves."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", errors="ignore"))
    return size > MAX_BODY_BYTES


def correlation_id_of(event: dict[str, Any]) -> str:
    """The caller's `X-Correlation-Id`, else API Gateway's request id: it follows the request into
    the workflow (stored on the application) and every log line."""
    headers = event.get("headers") or {}
    supplied = next((v for k, v in headers.items() if k.lower() == "x-correlation-id" and v), None)
    return str(supplied or (event.get("requestContext") or {}).get("requestId") or "")[:100]


def resolve(app: APIGatewayRestResolver, event: dict[str, Any], context: Any, logger: Any) -> dict[str, Any]:
    """Resolve a request; an unhandled error is logged and answered 500 without its details."""
    logger.append_keys(correlation_id=correlation_id_of(event))
    if too_large(event):
        return raw_problem(413, "payload_too_large")
    try:
        return app.resolve(event, context)
    except Exception:
        logger.exception("unhandled error")
        return raw_problem(500, "internal_error")
