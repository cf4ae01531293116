"""The committed OpenAPI document is current, valid, and says what the handlers answer."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES
from scripts import openapi

DOC = json.loads(openapi.TARGET.read_text(encoding="utf-8"))


def test_committed_document_is_current() -> None:
    assert openapi.main(["--check"]) == 0, "run `python -m scripts.openapi`"


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
    body = DOC["components"]["schemas"]["ApplicationBody"]
    assert set(body["required"]) == {"snils", "birth_date", "email", "phone", "full_name", "passport", "address"}
    signed = DOC["paths"]["/applications/signed"]["post"]["requestBody"]["content"]
    assert list(signed) == ["application/xml"]
