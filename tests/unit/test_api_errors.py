"""The one error map of the API functions: kinds to statuses, codes to texts, Powertools' idempotency errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.errors import STATUS_BY_KIND, answer, status_of, unexpected
from shared.core.errors import (
    AccessDenied,
    ConcurrentUpdate,
    Conflict,
    DomainError,
    ErrorKind,
    IdentityProviderUnavailable,
    InvalidInput,
    InvalidPageToken,
    NotFound,
    RateLimited,
)
from shared.core.messages import PROBLEM_DETAILS, PROBLEM_TITLES


def _body(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.body))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput([]), 422),
        (NotFound(), 404),
        (Conflict("ticket_closed"), 409),
        (RateLimited("code_locked"), 429),
        (AccessDenied(), 403),
        (DomainError("signed_xml_unavailable", ErrorKind.UNAVAILABLE), 503),
        (IdentityProviderUnavailable("timeout"), 502),  # an upstream's fault: a gateway's answer
    ],
)
def test_each_kind_has_one_status(error: DomainError, status: int) -> None:
    assert status_of(error, "POST") == status
    assert set(STATUS_BY_KIND) == set(ErrorKind)


def test_an_invalid_query_string_is_a_bad_request_and_an_invalid_body_unprocessable() -> None:
    assert status_of(InvalidPageToken(), "GET") == 400
    assert status_of(InvalidInput([]), "PATCH") == 422


def test_texts_come_from_the_message_table_with_the_variant_and_params() -> None:
    ticket = _body(answer(NotFound(variant="ticket"), "GET"))
    assert ticket["detail"] == PROBLEM_DETAILS["not_found.ticket"] and ticket["title"] == PROBLEM_TITLES["not_found"]
    plain = _body(answer(NotFound(), "GET"))
    assert plain["detail"] == PROBLEM_DETAILS["not_found"] != ticket["detail"]
    missing = _body(answer(Conflict("documents_missing", params={"missing": "passport"}), "POST"))
    assert (missing["status"], missing["detail"]) == (409, "Не все документы загружены: passport.")


def test_extra_members_and_retry_after_reach_the_answer() -> None:
    wrong = answer(DomainError("code_invalid", extra={"tries_left": 2}), "POST")
    assert _body(wrong)["tries_left"] == 2 and _body(wrong)["code"] == "code_invalid"
    soon = answer(RateLimited("resend_too_soon", retry_after=42), "POST")
    assert soon.status_code == 429 and soon.headers["Retry-After"] == "42"


def test_a_lost_race_is_a_conflict_not_a_crash() -> None:
    """A ConcurrentUpdate outside tickets was answered 500 (no handler): it is a 409 with a text."""
    lost = answer(ConcurrentUpdate("app-1"), "POST")
    assert lost.status_code == 409 and _body(lost)["code"] == "concurrent_update"
    assert _body(lost)["detail"] == PROBLEM_DETAILS["concurrent_update"]


class _Context(LambdaContext):
    function_name = "api"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ru-central-1:123456789012:function:api"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


class _Logger:
    def __init__(self) -> None:
        self.logged: list[str] = []

    def exception(self, message: str) -> None:
        self.logged.append(message)


def test_idempotency_errors_are_mapped_by_class_and_anything_else_is_a_logged_500() -> None:
    logger = _Logger()
    running = unexpected(IdempotencyAlreadyInProgressError("busy"), logger)
    assert running.status_code == 409 and running.headers["Retry-After"] == "2"
    assert _body(running)["code"] == "idempotency_conflict"
    reused = unexpected(IdempotencyValidationError("other body"), logger)
    assert reused.status_code == 422 and _body(reused)["detail"] == PROBLEM_DETAILS["validation_failed.idempotency_key"]
    assert logger.logged == []
    crash = unexpected(KeyError("secret"), logger)
    assert crash.status_code == 500 and "secret" not in str(crash.body) and logger.logged == ["unhandled error"]


def test_every_variant_names_a_code_with_a_title() -> None:
    assert all(key.split(".")[0] in PROBLEM_TITLES for key in PROBLEM_DETAILS)


def _event(method: str, path: str, body: str | None, roles: str = "operator") -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "rid-1",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"sub": "op-1", "level": "confirmed", "roles": roles},
        },
    }


@pytest.mark.parametrize("module", ["submit_application", "profile"])
@pytest.mark.parametrize("body", ["[1, 2]", "not json", None])
def test_a_decision_body_that_is_not_an_object_is_one_field_error_in_both_functions(
    module: str, body: str | None
) -> None:
    """The profile function answered a list or broken JSON with errors for both fields; now, as in the
    applications function, the body itself is the error (nothing is read before the body is checked)."""
    import importlib

    handler = importlib.import_module(f"functions.{module}.handler")
    path = (
        "/operator/applications/a-1/decision"
        if module == "submit_application"
        else "/operator/change-requests/r-1/decision"
    )
    response = handler.handler(_event("POST", path, body), _Context())
    problem = json.loads(response["body"])
    assert response["statusCode"] == 422
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("body", "invalid_json")]


def test_an_unknown_route_is_not_found_with_its_own_text() -> None:
    from functions.support_ticket import handler

    response = handler.handler(_event("GET", "/support/nowhere", None), _Context())
    assert (
        response["statusCode"] == 404 and json.loads(response["body"])["detail"] == PROBLEM_DETAILS["not_found.route"]
    )


def test_the_support_desk_refuses_a_citizen_in_its_own_words() -> None:
    from functions.support_ticket import handler

    response = handler.handler(_event("GET", "/operator/tickets", None, roles=""), _Context())
    assert (
        response["statusCode"] == 403 and json.loads(response["body"])["detail"] == PROBLEM_DETAILS["forbidden.support"]
    )
