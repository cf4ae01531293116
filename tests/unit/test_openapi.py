"""The committed OpenAPI document is current, valid, made from the models, and says what the handlers answer."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES
from scripts import openapi

DOC = json.loads(openapi.TARGET.read_text(encoding="utf-8"))
SCHEMAS = DOC["components"]["schemas"]

T = TypeVar("T")


class _Page(BaseModel, Generic[T]):
    """A generic page as shared/core may come to have it (for the PAGE_MODEL test)."""

    items: list[T]
    next_token: str | None


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


@pytest.mark.parametrize("part", ["request", "response"])
def test_a_body_named_by_a_model_is_that_models_own_schema(part: str) -> None:
    """Each body the table names by import path is the model's JSON schema as pydantic writes it, in the
    mode of its side, with the models it nests."""
    mode: openapi.Mode = "validation" if part == "request" else "serialization"
    checked = 0
    for (path, method), route in openapi.ROUTES.items():
        body = route.request if part == "request" else route.response
        if not isinstance(body, str):
            continue
        own = openapi.model(body).model_json_schema(ref_template=openapi.REF, mode=mode)
        nested = own.pop("$defs", {})
        documented = _media_schema(DOC["paths"][path][method.lower()], part)
        assert _inline(documented, SCHEMAS) == _inline(own, nested), (method, path)
        checked += 1
    assert checked >= 6  # today; more as handlers come to take and return models


def test_hand_written_schemas_are_few_listed_and_each_has_its_reason() -> None:
    """Every component is a model's or listed as hand-written with a reason; the list only shrinks."""
    written = openapi.hand_written()
    assert all(len(reason) > 10 for reason in written.values()), written
    assert set(written) <= set(SCHEMAS)
    assert len(written) <= 17, f"a new hand-written schema: give the body a model instead ({sorted(written)})"
    generated = set(SCHEMAS) - set(written)
    for name in ("ApplicationBody", "StatusView", "Prefill", "FieldError", "TicketRequest", "DocumentRequest"):
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
    """What the lead does when a handler comes to return a model: name it in the row, drop the entry."""
    key = ("/applications/{id}/confirmation/resend", "POST")
    monkeypatch.setitem(
        openapi.ROUTES, key, replace(openapi.ROUTES[key], response="shared.applications.models:RejectionReason")
    )
    with pytest.raises(SystemExit, match="CodeSent"):  # the entry left behind is a leftover
        openapi.document()
    monkeypatch.delitem(openapi.HAND_WRITTEN, "CodeSent")
    document = openapi.document()
    op = document["paths"][key[0]]["post"]
    assert op["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RejectionReason"
    }
    assert "CodeSent" not in document["components"]["schemas"]
    validate(document)


def test_pages_come_from_a_generic_page_model_once_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(SCHEMAS["StatusViewPage"]["required"]) == {"items", "next_token"}
    monkeypatch.setattr(openapi, "PAGE_MODEL", f"{__name__}:_Page")
    document = openapi.document()
    schemas = document["components"]["schemas"]
    ref = document["paths"]["/applications"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    page = schemas[ref["$ref"].rsplit("/", 1)[1]]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/StatusView"}
    assert "StatusViewPage" not in schemas and "TicketPage" in schemas  # tickets are not a model yet
    validate(document)


def test_two_servers_and_a_generated_client_works_with_either() -> None:
    """The local cloud answers at its root, the deployed API under its stage; every server variable has
    a default (a generated client substitutes them), and the paths are the same for both."""
    local, deployed = DOC["servers"]
    assert local["url"] == "http://127.0.0.1:3000" and "variables" not in local
    assert deployed["url"].endswith(".amazonaws.com/v1") and deployed["url"].startswith("https://")
    assert set(re.findall(r"{(\w+)}", deployed["url"])) == set(deployed["variables"])
    assert all(v["default"] and v["description"] for v in deployed["variables"].values())
    assert all(path.startswith("/") and not path.startswith("/v1") for path in DOC["paths"])
