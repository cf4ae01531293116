"""What the fuzzing suite (tests/suites/test_fuzz.py) found, kept as fast regression tests."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from shared.applications.validation import parse_application
from shared.core.errors import InvalidInput
from shared.profile.changes import parse_request
from shared.support.requests import parse_change, parse_ticket_request
from tests.support.fakes import VALID_BODY


def _codes(error: InvalidInput) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in error.errors}


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_surname_or_first_name_is_missing_not_none(blank: str) -> None:
    """A change request with `full_name: {last: " ", first: " "}` was stored with None names; every
    later read of the citizen's requests failed validation and answered 500."""
    with pytest.raises(InvalidInput) as changes:
        parse_request({"changes": {"full_name": {"last": blank, "first": blank}}})
    assert _codes(changes.value) == {
        ("changes.full_name.last", "missing_field"),
        ("changes.full_name.first", "missing_field"),
    }
    body = copy.deepcopy(VALID_BODY)
    body["full_name"] = {"last": blank, "first": "Иван", "middle": blank}
    with pytest.raises(InvalidInput) as application:
        parse_application(body, today=date(2026, 11, 27))
    assert _codes(application.value) == {("full_name.last", "missing_field")}
    ticket = {"inn": "500100732259", "full_name": {"last": "Иванов", "first": blank}, "phone": "+79123456789"}
    with pytest.raises(InvalidInput) as opened:
        parse_ticket_request({**ticket, "description": "Не приходит код подтверждения."})
    assert ("full_name.first", "missing_field") in _codes(opened.value)


def test_a_blank_middle_name_is_still_no_middle_name() -> None:
    body = copy.deepcopy(VALID_BODY)
    body["full_name"] = {"last": "Иванов", "first": "Иван", "middle": "  "}
    parsed, _ = parse_application(body, today=date(2026, 11, 27))
    assert parsed.full_name.middle is None


@pytest.mark.parametrize("number", [0, 86400 * 365, 1.0])
def test_a_number_is_not_a_date(number: float) -> None:
    """`passport.issued_on: 0` was taken as 1970-01-01 (pydantic's epoch seconds) and the application
    accepted: the passport-validity rule reads the raw text and skipped it."""
    body = copy.deepcopy(VALID_BODY)
    body["passport"]["issued_on"] = number
    body["birth_date"] = number
    with pytest.raises(InvalidInput) as application:
        parse_application(body, today=date(2026, 11, 27))
    assert _codes(application.value) == {("birth_date", "date_format"), ("passport.issued_on", "date_format")}
    with pytest.raises(InvalidInput) as changes:
        parse_request({"changes": {"birth_date": number}})
    assert _codes(changes.value) == {("changes.birth_date", "invalid_value")}


@pytest.mark.parametrize("documents", [{}, "", 0, False])
def test_change_request_documents_must_be_a_list(documents: object) -> None:
    """`documents: {}` was taken as "no documents" (`or []`); the document says an array (or null)."""
    with pytest.raises(InvalidInput) as changes:
        parse_request({"changes": {"phone": "+79161234567"}, "documents": documents})
    assert _codes(changes.value) == {("documents", "invalid_value")}
    assert parse_request({"changes": {"phone": "+79161234567"}, "documents": None})[1] == []


def test_a_null_ticket_field_is_no_change() -> None:
    """The document says so (TicketUpdate: null = no change), as the handler does."""
    change = parse_change({"status": None, "answer": "Код отправлен повторно.", "assignee": None})
    assert change.status is None and change.assignee is None and change.answer


def test_every_request_example_matches_its_schema_and_the_handlers_rules() -> None:
    """The document's request examples (Swagger UI's "Try it out" body, the fuzzer's first case) are
    valid by the schema and by the domain's own parsing."""
    import json

    from jsonschema import Draft202012Validator

    from scripts import openapi

    document = json.loads(openapi.TARGET.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    seen = 0
    for ops in document["paths"].values():
        for op in ops.values():
            for media in op.get("requestBody", {}).get("content", {}).values():
                if "example" in media:
                    schema = {**media["schema"], "components": {"schemas": schemas}}
                    Draft202012Validator(schema).validate(media["example"])
                    seen += 1
    assert seen >= 10
    parse_application(openapi.REQUEST_EXAMPLES["ApplicationBody"], today=date(2026, 11, 27))
    parse_request(openapi.REQUEST_EXAMPLES["ChangeRequestBody"])
    parse_ticket_request(openapi.REQUEST_EXAMPLES["TicketBody"])
    parse_change(openapi.REQUEST_EXAMPLES["TicketUpdate"])


@pytest.mark.parametrize(("raw", "limit"), [("¹", 20), ("٣", 20), ("7", 7), ("500", 100), ("0", 1), ("x", 20)])
def test_page_limit_is_ascii_digits_or_the_default(raw: str, limit: int) -> None:
    """`GET /support/tickets?limit=¹` answered 500: `"¹".isdigit()` is true, `int("¹")` raises. The three
    API functions read the page size with the one helper (shared/api/request.py)."""
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

    from shared.api.request import limit as page_limit

    app = APIGatewayRestResolver()  # not a handler's own: an event set on it would outlive the test
    app.current_event = APIGatewayProxyEvent({"queryStringParameters": {"limit": raw}})
    assert page_limit(app) == limit


@pytest.mark.parametrize("size", [True, 1.0, "12"])
def test_a_size_is_an_integer_not_a_bool_float_or_text(size: object) -> None:
    """`size: true` was taken as 1 byte (pydantic's lax mode): the document says an integer."""
    from shared.review.decisions import parse_document_request

    with pytest.raises(InvalidInput) as document:
        parse_document_request({"type": "passport", "content_type": "application/pdf", "size": size})
    assert _codes(document.value) == {("size", "invalid_value")}
    ticket = {
        "inn": "500100732259",
        "full_name": {"last": "Иванов", "first": "Иван"},
        "phone": "+79123456789",
        "description": "Не приходит код подтверждения.",
        "screenshot": {"content_type": "image/png", "size": size},
    }
    with pytest.raises(InvalidInput) as opened:
        parse_ticket_request(ticket)
    assert ("screenshot.size", "invalid_type") in _codes(opened.value)
