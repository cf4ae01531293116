"""HTTP shaping shared by the API handlers: the caller from the authorizer, RFC 9457 problems, JSON answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from shared.core.messages import problem_body, problem_detail, problem_title
from shared.journal.access import Accessor, ActorRole

if TYPE_CHECKING:
    from pydantic import BaseModel

    from shared.applications.models import FieldError

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

    @property
    def confirmed(self) -> bool:
        """A confirmed account at the identity provider (its records about the person are trusted)."""
        return self.level == "confirmed"

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
        problem_title(code),
        detail or problem_detail(code),
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


def reply(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """A typed answer (a pydantic response model) as JSON, as the API has always written it."""
    return json_response(status, model.model_dump(mode="json"), headers=headers)


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
