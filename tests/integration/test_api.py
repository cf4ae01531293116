"""The applications API handler over moto: submission, idempotency, access rules, search."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.submit_application.handler import handler
from tests.integration.conftest import Cloud, Context, api_event
from tests.support.fakes import VALID_BODY
from tests.support.identifiers import inn12


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = handler(event, Context())
    headers = dict(response.get("headers") or {})
    headers.update({k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], json.loads(response["body"]), headers


def post(body: Any, **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    return call(api_event("POST", "/applications", body=body, **kw))


def get_app(app_id: str, **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    return call(
        api_event("GET", f"/applications/{app_id}", resource="/applications/{id}", path_params={"id": app_id}, **kw)
    )


def test_submit_returns_status_view_and_starts_workflow(cloud: Cloud) -> None:
    status, body, _ = post(VALID_BODY)
    assert status == 202
    assert body["status"] == "in_progress" and body["status_label"] == "В обработке"
    assert body["history"][0]["status"] == "in_progress"
    assert body["expected_ready_at"] is not None
    assert [e["name"] for e in cloud.executions()] == [body["application_id"]]
    raw_items = json.dumps(cloud.items(), ensure_ascii=False)
    assert "INNLOCK#500100732259" not in raw_items  # keyed hash, not the INN, in keys


def test_inn_typo_is_a_field_error_and_stores_nothing(cloud: Cloud) -> None:
    status, body, headers = post({**VALID_BODY, "inn": "500100732258"})
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    (error,) = body["errors"]
    assert (error["field"], error["code"], error["suggestions"]) == ("inn", "inn_checksum", ["500100732259"])
    assert "опечатка" in body["errors"][0]["message"]
    assert cloud.items() == [] and cloud.executions() == []


def test_not_json_is_a_problem(cloud: Cloud) -> None:
    status, body, _ = post("{not json")
    assert status == 422 and body["errors"][0]["code"] == "invalid_json"


def test_unconfirmed_account_cannot_apply(cloud: Cloud) -> None:
    status, body, _ = post(VALID_BODY, level="standard")
    assert status == 403 and body["code"] == "account_not_confirmed"
    assert cloud.items() == []


def test_retried_post_with_idempotency_key_returns_the_same_application(cloud: Cloud) -> None:
    first = post(VALID_BODY, headers={"Idempotency-Key": "k-1"})
    again = post(VALID_BODY, headers={"Idempotency-Key": "k-1"})
    assert first[0] == again[0] == 202
    assert first[1]["application_id"] == again[1]["application_id"]
    metas = [i for i in cloud.items() if i["sk"]["S"] == "META"]
    assert len(metas) == 1 and len(cloud.executions()) == 1


def test_same_key_other_body_is_refused(cloud: Cloud) -> None:
    post(VALID_BODY, headers={"Idempotency-Key": "k-2"})
    status, _, _ = post({**VALID_BODY, "email": "other@example.ru"}, headers={"Idempotency-Key": "k-2"})
    assert status == 422


def test_duplicate_inn_409_discloses_id_only_to_owner(cloud: Cloud) -> None:
    _, first, _ = post(VALID_BODY)
    status, own, _ = post(VALID_BODY)
    assert status == 409 and own["existing_application_id"] == first["application_id"]
    status, other, _ = post(VALID_BODY, sub="citizen-2")
    assert status == 409 and other["code"] == "duplicate_application"
    assert "existing_application_id" not in other


def test_only_owner_or_operator_sees_an_application(cloud: Cloud) -> None:
    _, created, _ = post(VALID_BODY)
    app_id = created["application_id"]
    assert get_app(app_id)[0] == 200
    assert get_app(app_id, sub="citizen-2")[0] == 404
    assert get_app(app_id, sub="op-1", roles="operator")[0] == 200
    assert get_app("no-such-id")[0] == 404


def test_list_own_applications(cloud: Cloud) -> None:
    _, created, _ = post(VALID_BODY)
    status, page, _ = call(api_event("GET", "/applications"))
    assert status == 200 and [i["application_id"] for i in page["items"]] == [created["application_id"]]
    assert page["next_token"] is None
    _, other, _ = call(api_event("GET", "/applications", sub="citizen-2"))
    assert other["items"] == []


def test_operator_search(cloud: Cloud) -> None:
    _, created, _ = post(VALID_BODY)
    op: dict[str, Any] = {"sub": "op-1", "roles": "operator"}
    status, by_inn, _ = call(api_event("GET", "/operator/applications", query={"inn": "500100732259"}, **op))
    assert status == 200 and [i["application_id"] for i in by_inn["items"]] == [created["application_id"]]
    _, by_status, _ = call(api_event("GET", "/operator/applications", query={"status": "in_progress"}, **op))
    assert len(by_status["items"]) == 1
    assert call(api_event("GET", "/operator/applications", query={"status": "nope"}, **op))[0] == 400
    assert call(api_event("GET", "/operator/applications", query={"inn": "123"}, **op))[0] == 400
    assert call(api_event("GET", "/operator/applications", query={"status": "in_progress"}))[0] == 403


def test_operator_submits_office_application(cloud: Cloud) -> None:
    status, body, _ = post({**VALID_BODY, "channel": "office"}, sub="op-1", roles="operator", level="standard")
    assert status == 202 and body["channel"] == "office"
    status, body, _ = post({**VALID_BODY, "channel": "office"})
    assert status == 422 and body["errors"][0]["code"] == "channel_not_allowed"


def test_pagination_token(cloud: Cloud) -> None:
    for n in range(3):
        assert post({**VALID_BODY, "inn": inn12(f"77000000{n:02d}")})[0] == 202
    _, first, _ = call(api_event("GET", "/applications", query={"limit": "2"}))
    assert len(first["items"]) == 2 and first["next_token"]
    _, second, _ = call(api_event("GET", "/applications", query={"limit": "2", "next_token": first["next_token"]}))
    assert len(second["items"]) == 1
    assert call(api_event("GET", "/applications", query={"next_token": "garbage!"}))[0] == 400


@pytest.mark.parametrize("path", ["/nowhere", "/applications/x/y"])
def test_unknown_route_is_problem_404(cloud: Cloud, path: str) -> None:
    status, body, _ = call(api_event("GET", path))
    assert status == 404 and body["status"] == 404


def test_oversized_body_is_refused_before_any_work(cloud: Cloud) -> None:
    status, body, _ = post({**VALID_BODY, "workplace": "x" * (64 * 1024)})
    assert status == 413 and body["code"] == "payload_too_large"
    assert cloud.executions() == [] and not [i for i in cloud.items() if i["pk"]["S"].startswith("APP#")]
