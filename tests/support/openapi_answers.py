"""Every answer the API functions give in the integration tests is one docs/openapi.json documents.

`answers_match_the_document` (autouse in tests/integration/conftest.py) wraps the entry point of the
three API functions; each answer they give is checked against the committed document: its status is
documented for the route, its content type is the documented one, and its body is valid by the
documented schema (JSON Schema 2020-12, formats included). A request for no documented route (an
unknown path, an undeclared method) must answer a problem. So the document is proved by what the
running handlers answer, not only by the models it is made from.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
API_FUNCTIONS = (
    "functions.submit_application.handler",
    "functions.profile.handler",
    "functions.support_ticket.handler",
)
PROBLEM_JSON = "application/problem+json"
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@cache
def _document() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    components = {"components": _document()["components"]}
    return Draft202012Validator({**schema, **components}, format_checker=Draft202012Validator.FORMAT_CHECKER)


def documented_schema(event: dict[str, Any], status: int, content_type: str) -> dict[str, Any]:
    """The schema the document gives the answer to this request (fails when it documents none)."""
    method, resource = str(event["httpMethod"]).lower(), str(event.get("resource") or event["path"])
    operation = _document()["paths"].get(resource, {}).get(method)
    if operation is None:
        assert content_type == PROBLEM_JSON and status in (404, 405), f"{method} {resource}: {status} {content_type}"
        return PROBLEM
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method.upper()} {resource} answered {status}, not documented"
    content = response.get("content", {})
    assert content_type in content, f"{method.upper()} {resource} {status}: {content_type} is not {list(content)}"
    return dict(content[content_type]["schema"])


def check_answer(event: dict[str, Any], response: dict[str, Any]) -> None:
    """Fail unless the proxy response is one the document describes for this request."""
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
    content_type = str({**headers, **multi}.get("content-type", "")).split(";")[0]
    status = int(response["statusCode"])
    schema = documented_schema(event, status, content_type)
    body = json.loads(response["body"])
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{event['httpMethod']} {event.get('resource')} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors[:5]
    )


Handle = Callable[..., dict[str, Any]]


def _checked(handle: Handle) -> Handle:
    def checked(app: Any, event: dict[str, Any], context: Any, logger: Any) -> dict[str, Any]:
        response = handle(app, event, context, logger)
        check_answer(event, response)
        return response

    return checked


@pytest.fixture(autouse=True)
def answers_match_the_document(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each API function's `handle` (shared/api/resolver.py), as its module calls it, checks its answers."""
    for name in API_FUNCTIONS:
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "handle", _checked(module.handle))
    yield
