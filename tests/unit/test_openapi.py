"""The committed OpenAPI document is current, valid, made from the models, and says what the handlers answer."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES
from scripts import openapi

DOC = json.loads(openapi.TARGET.read_text(encoding="utf-8"))
SCHEMAS = DOC["components"]["schemas"]


def test_committed_document_is_current() -> None:
    """Regenerated in memory, the document is the committed one byte for byte."""
    assert openapi.TARGET.read_text(encoding="utf-8") == openapi.render(), "run `python -m scripts.openapi`"
    assert openapi.main(["--check"]) == 0


def test_a_stale_document_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "openapi.json"
    monkeypatch.setattr(openapi, "TARGET", stale)
    monkeypatch.setattr(openapi, "ROOT", tmp_path)
    assert openapi.main(["--check"]) == 1  # missing
    stale.write_text(json.dumps({**DOC, "paths": {}}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert openapi.main(["--check"]) == 1  # a route gone
    assert openapi.main([]) == 0 and openapi.main(["--check"]) == 0  # rewritten


def test_document_is_valid_openapi_3_1() -> None:
    validate(DOC)


def test_every_deployed_route_is_documented_once() -> None:
    documented = {(path, method.upper()) for path, ops in DOC["paths"].items() for method in ops}
    assert documented == {*APPLICATION_ROUTES, *PROFILE_ROUTES, *SUPPORT_ROUTES}


def test_errors_are_problem_json_and_ids_can_be_missing() -> None:
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "500"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, f"{method} {path}: someone else's id answers 404"
            if "requestBody" in op:
                assert "413" in codes, f"{method} {path}: a body over 64 KiB answers 413 (shared/api/http.py)"
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"]


def test_application_body_schema_is_the_models() -> None:
    body = SCHEMAS["ApplicationBody"]
    assert set(body["required"]) == {"snils", "birth_date", "email", "phone", "full_name", "passport", "address"}
    signed = DOC["paths"]["/applications/signed"]["post"]["requestBody"]["content"]
    assert list(signed) == ["application/xml"]


def _media_schema(op: dict[str, Any], part: str) -> dict[str, Any]:
    if part == "request":
        return dict(next(iter(op["requestBody"]["content"].values()))["schema"])
    ok = next(r for code, r in op["responses"].items() if code.startswith("2"))
    return dict(ok["content"]["application/json"]["schema"])


def _inline(schema: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """The schema with every `$ref` replaced by what it names: equal whatever the components are called
    (pydantic names a model `X-Input` and `X-Output` when its two modes differ)."""
    assert depth < 20, "a recursive model: compare by name instead"
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[1]], defs, depth + 1)
        return {k: _inline(v, defs, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(v, defs, depth) for v in schema]
    return schema


def _own_schema(path: str, mode: openapi.Mode) -> Any:
    own = openapi.model(path).model_json_schema(ref_template=openapi.REF, mode=mode)
    return _inline(own, own.pop("$defs", {}))


@pytest.mark.parametrize("part", ["request", "response"])
def test_a_body_named_by_a_model_is_that_models_own_schema(part: str) -> None:
    """Each body the table names by import path is the model's JSON schema as pydantic writes it, in the
    mode of its side, with the models it nests (`anyOf` them for an answer of either model)."""
    mode: openapi.Mode = "validation" if part == "request" else "serialization"
    checked = 0
    for (path, method), route in openapi.ROUTES.items():
        body = route.request if part == "request" else route.response
        if isinstance(body, str):
            own = _own_schema(body, mode)
        elif isinstance(body, openapi.AnyOf):
            own = {"anyOf": [_own_schema(name, mode) for name in body.models]}
        else:
            continue
        documented = _media_schema(DOC["paths"][path][method.lower()], part)
        assert _inline(documented, SCHEMAS) == own, (method, path)
        checked += 1
    # every body but the signed XML document: 11 requests, 26 answers
    assert checked == (11 if part == "request" else 26)


def test_every_error_answer_is_the_problem_model() -> None:
    problem = _own_schema(openapi.PROBLEM, "serialization")
    assert _inline(SCHEMAS["Problem"], SCHEMAS) == problem
    seen = 0
    for ops in DOC["paths"].values():
        for op in ops.values():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
                    seen += 1
    assert seen > 100


def _valid(schema_name: str, body: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": DOC["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(body)]


def test_the_problem_schema_holds_what_every_answerer_writes() -> None:
    """The API's error map (with its extension members), the last line of defence, API Gateway's own
    responses and the local gateway all write problem_body; each is valid by the document, and a member
    the schema does not name is refused (so a new one cannot go undocumented)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    from shared.api.errors import answer, unexpected
    from shared.api.http import raw_problem
    from shared.core.errors import DomainError, DuplicateApplication, ErrorKind, FieldError, InvalidInput
    from shared.core.messages import problem_body

    duplicate = DuplicateApplication("app-1", "citizen-1").shown_to("citizen-1")
    field = FieldError(field="inn", code="inn_checksum", message="…", suggestions=["500100732259"])
    answers = [
        answer(InvalidInput([field]), "POST").body,
        answer(InvalidInput([field]), "GET").body,
        answer(duplicate, "POST").body,
        answer(DomainError("code_invalid", ErrorKind.INVALID, extra={"tries_left": 4}), "POST").body,
        answer(DomainError("identity_provider_unavailable", ErrorKind.UNAVAILABLE), "GET").body,
        unexpected(IdempotencyAlreadyInProgressError(), None).body,
        raw_problem(413, "payload_too_large")["body"],
    ]
    bodies = [json.loads(str(text)) for text in answers]
    bodies.append(problem_body(403, "forbidden", "Доступ запрещён", "WAF"))  # infra/components/api.py, localcloud
    assert {"tries_left", "existing_application_id"} <= {key for body in bodies for key in body}
    for body in bodies:
        assert _valid("Problem", body) == [], body
    assert _valid("Problem", {**bodies[0], "undocumented": 1}), "an extension member must be in the model"


def test_an_answer_of_either_page_is_documented_for_the_operators_search() -> None:
    """`GET /operator/applications` answers a page of status views, or with `queue=review` a page of
    review items: the document says either (a review page is also a valid page of status views)."""
    schema = _media_schema(DOC["paths"]["/operator/applications"]["get"], "response")
    assert schema == {"anyOf": [{"$ref": f"#/components/schemas/{n}"} for n in ("ApplicationPage", "ReviewPage")]}
    assert set(SCHEMAS["ReviewItem"]["required"]) > set(SCHEMAS["StatusView"]["required"])


def test_no_model_schema_is_a_serializers_bare_object() -> None:
    """A model with a wrap `model_serializer` returning `dict[str, Any]` gets the schema `{"type": "object"}`
    (pydantic takes the serializer's return type): every object in the document names its properties."""
    for name, schema in SCHEMAS.items():
        if schema.get("type") == "object":
            assert schema.get("properties"), name
    created = SCHEMAS["TicketCreated"]
    assert "screenshot_upload" in created["properties"] and "screenshot_upload" not in created["required"]
    assert set(SCHEMAS["CitizenTicketView"]["required"]) <= set(created["required"])


def test_hand_written_schemas_are_few_listed_and_each_has_its_reason() -> None:
    """Every component is a model's or listed as hand-written with a reason; the list only shrinks
    (21 at the start of issue 10, 17 after its first pass, 1 now: the XML body)."""
    written = openapi.hand_written()
    assert all(len(reason) > 10 for reason in written.values()), written
    assert set(written) <= set(SCHEMAS)
    assert len(written) <= 1, f"a new hand-written schema: give the body a model instead ({sorted(written)})"
    assert set(written) == {"SignedXml"}
    generated = set(SCHEMAS) - set(written)
    for name in ("ApplicationBody", "StatusView", "Prefill", "FieldError", "TicketRequest", "DocumentRequest"):
        assert name in generated
    for name in ("Problem", "CodeSent", "DecisionRequest", "ChangeRequestBody", "AccessLogPage", "TicketCreated"):
        assert name in generated
    # a hand-written schema says so nowhere in the document, but it never carries pydantic's titles
    assert not any("title" in SCHEMAS[name] for name in written)
    assert all("title" in SCHEMAS[name] for name in generated)


def test_a_hand_written_schema_nothing_uses_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(openapi.HAND_WRITTEN, "Leftover", openapi.Written("a test", {"type": "object"}))
    with pytest.raises(SystemExit, match="Leftover"):
        openapi.document()


def test_a_row_without_a_route_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(openapi.ROUTES, ("/nowhere", "GET"), openapi.ROUTES[("/applications", "GET")])
    with pytest.raises(SystemExit, match="/nowhere"):
        openapi.document()


def test_swapping_a_hand_written_body_for_a_model_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """What to do when a body comes to have a model: name it in the row, drop the entry."""
    key = ("/applications/signed", "POST")
    monkeypatch.setitem(
        openapi.ROUTES, key, replace(openapi.ROUTES[key], request="shared.review.decisions:DocumentRequest")
    )
    with pytest.raises(SystemExit, match="SignedXml"):  # the entry left behind is a leftover
        openapi.document()
    monkeypatch.delitem(openapi.HAND_WRITTEN, "SignedXml")
    document = openapi.document()
    media = document["paths"][key[0]]["post"]["requestBody"]["content"]["application/xml"]
    assert media["schema"] == {"$ref": "#/components/schemas/DocumentRequest"}
    assert "SignedXml" not in document["components"]["schemas"]
    validate(document)


def test_a_hand_written_body_not_in_the_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ("/applications/{id}/confirmation/resend", "POST")
    monkeypatch.setitem(openapi.ROUTES, key, replace(openapi.ROUTES[key], response=openapi.Hand("CodeSent")))
    with pytest.raises(SystemExit, match="CodeSent"):
        openapi.document()


def test_the_answer_checker_of_the_integration_tests_can_fail() -> None:
    """tests/support/openapi_answers.py (every API answer in tests/integration checked against the
    document) refuses an undocumented status, a wrong content type and a body off its schema."""
    from tests.support.openapi_answers import check_answer

    event = {"httpMethod": "POST", "resource": "/applications/{id}/confirmation/resend", "path": "/applications/a/x"}
    sent = {"sent_to": "+7******6789", "expires_at": "2026-12-08T03:00:00+00:00"}

    def response(status: int, body: Any, content_type: str = "application/json") -> dict[str, Any]:
        return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": json.dumps(body)}

    check_answer(event, response(202, sent))
    with pytest.raises(AssertionError, match="not documented"):
        check_answer(event, response(201, sent))
    with pytest.raises(AssertionError, match="application/json"):
        check_answer(event, response(202, sent, "text/plain"))
    with pytest.raises(AssertionError, match="expires_at"):
        check_answer(event, response(202, {**sent, "expires_at": "tomorrow"}))
    with pytest.raises(AssertionError, match="sent_to"):
        check_answer(event, response(202, {"expires_at": sent["expires_at"]}))
    with pytest.raises(AssertionError):  # an unknown route answers a problem, not a body
        check_answer({**event, "resource": "/nowhere"}, response(200, sent))


def test_two_servers_and_a_generated_client_works_with_either() -> None:
    """The local cloud answers at its root, the deployed API under its stage; every server variable has
    a default (a generated client substitutes them), and the paths are the same for both."""
    local, deployed = DOC["servers"]
    assert local["url"] == "http://127.0.0.1:3000" and "variables" not in local
    assert deployed["url"].endswith(".amazonaws.com/v1") and deployed["url"].startswith("https://")
    assert set(re.findall(r"{(\w+)}", deployed["url"])) == set(deployed["variables"])
    assert all(v["default"] and v["description"] for v in deployed["variables"].values())
    assert all(path.startswith("/") and not path.startswith("/v1") for path in DOC["paths"])
