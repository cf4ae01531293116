"""End to end against the local cloud: POST → ready, → rejected, → needs_clarification, a partner
message → ready (sent twice: one application), field errors that store nothing, FNS faults."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from tests.support.fakes import VALID_BODY
from tests.support.identifiers import fresh_inn, fresh_passport_number, fresh_phone
from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")


def _items(cloud: LocalCloud) -> list[dict]:
    return cloud.aws("dynamodb").scan(TableName=cloud.info["table_name"])["Items"]


def test_startup_and_local_routes(cloud: LocalCloud) -> None:
    print(f"\nlocal cloud ready in {cloud.startup_seconds:.1f} s")
    assert requests.get(f"{cloud.base_url}/health", timeout=5).json() == {"status": "ok"}
    assert cloud.info["intake_queue_url"].startswith(cloud.info["aws_endpoint_url"])
    assert requests.get(f"{cloud.base_url}/_local/jwks.json", timeout=5).json()["keys"][0]["kid"]
    assert isinstance(requests.get(f"{cloud.base_url}/_local/outbox", timeout=5).json()["messages"], list)


def test_portal_application_becomes_ready(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-ready")
    body = new_taxpayer(cloud)
    started = time.monotonic()
    reply = cloud.call("POST", "/applications", token, json=body, headers={"Idempotency-Key": "e2e-1"})
    assert reply.status_code == 202, reply.text
    app_id = reply.json()["application_id"]
    assert reply.json()["required_actions"][0]["code"] == "confirm_contact"
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    confirmed = time.monotonic()
    view = cloud.wait_for(app_id, token, {"ready"})
    done = time.monotonic()
    print(f"\nPOST → code entered {confirmed - started:.2f} s; code entered → ready {done - confirmed:.2f} s")
    assert view["status_label"] == "Готов" and view["required_actions"] == []
    assert [h["stage"] for h in view["history"]] == [
        "contact_confirmation",
        "contact_confirmation",
        "fns_check",
        "activation",
        "completed",
    ]
    again = cloud.call("POST", "/applications", token, json=body, headers={"Idempotency-Key": "e2e-1"})
    assert again.status_code == 202 and again.json()["application_id"] == app_id
    listed = cloud.call("GET", "/applications", token).json()
    assert [i["application_id"] for i in listed["items"]] == [app_id]
    other = cloud.token("e2e-someone-else")
    assert cloud.call("GET", f"/applications/{app_id}", other).status_code == 404


def test_unknown_inn_is_rejected_with_fix(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-rejected")
    body = {**VALID_BODY, "inn": fresh_inn("78"), "phone": fresh_phone()}
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]  # INN not in the registry
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"rejected"})
    (reason,) = view["rejection_reasons"]
    assert reason["code"] == "inn_not_found" and reason["message"] and reason["fix"]
    assert cloud.call("POST", "/applications", token, json=body).status_code == 202  # the INN is free again


def test_name_mismatch_needs_clarification(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-mismatch")
    body = new_taxpayer(cloud, last_name="Петрова")
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"needs_clarification"})
    assert [a["code"] for a in view["required_actions"]] == ["fix_fields", "upload_documents"]
    assert view["required_actions"][0]["fields"] == ["full_name"]


def test_typo_is_a_field_error_and_stores_nothing(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-typo")
    reply = cloud.call("POST", "/applications", token, json={**VALID_BODY, "inn": "500100732258", "phone": "123"})
    assert reply.status_code == 422
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert {(e["field"], e["code"]) for e in reply.json()["errors"]} == {
        ("inn", "inn_checksum"),
        ("phone", "phone_format"),
    }
    stored = json.dumps(_items(cloud), ensure_ascii=False)
    assert "500100732258" not in stored
    assert cloud.call("GET", "/applications", token).json()["items"] == []


def test_auth_rules(cloud: LocalCloud) -> None:
    assert cloud.call("GET", "/applications").status_code == 401
    assert cloud.call("GET", "/applications", "not-a-token").status_code == 401
    unconfirmed = cloud.token("e2e-standard", level="standard")
    reply = cloud.call("POST", "/applications", unconfirmed, json=VALID_BODY)
    assert reply.status_code == 403 and reply.json()["code"] == "account_not_confirmed"
    assert cloud.call("GET", "/operator/applications?status=ready", unconfirmed).status_code == 403
    assert cloud.call("GET", "/nowhere", unconfirmed).status_code == 404


def test_partner_message_sent_twice_becomes_one_ready_application(cloud: LocalCloud) -> None:
    body = new_taxpayer(cloud)
    message = json.dumps(
        {"partner_id": "bank-e2e", "request_id": str(uuid.uuid4()), "application": body}, ensure_ascii=False
    )
    sqs = cloud.aws("sqs")
    for _ in range(2):
        sqs.send_message(QueueUrl=cloud.info["intake_queue_url"], MessageBody=message)
    operator = cloud.token("e2e-operator", roles=["operator"])
    deadline = time.monotonic() + 30
    items: list[dict] = []
    while time.monotonic() < deadline:
        items = cloud.call("GET", f"/operator/applications?inn={body['inn']}", operator).json()["items"]
        if items and items[0]["status"] == "ready":
            break
        time.sleep(0.1)
    assert len(items) == 1, items
    assert items[0]["status"] == "ready" and items[0]["channel"] == "partner"


def test_malformed_partner_message_goes_to_dlq_with_reason(cloud: LocalCloud) -> None:
    sqs = cloud.aws("sqs")
    sqs.send_message(QueueUrl=cloud.info["intake_queue_url"], MessageBody='{"partner_id": "bank-e2e"}')
    dead = sqs.receive_message(
        QueueUrl=cloud.info["intake_dlq_url"], MessageAttributeNames=["All"], MaxNumberOfMessages=10, WaitTimeSeconds=2
    ).get("Messages", [])
    assert any(m["MessageAttributes"]["reason"]["StringValue"] == "malformed_message" for m in dead)


def test_fns_outage_is_retried_until_it_recovers(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-faults")
    body = new_taxpayer(cloud)
    assert cloud.call("POST", "/_local/fns/faults", json={"error_rate": 1.0, "latency_ms": 0}).status_code == 200
    try:
        app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
        assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
        time.sleep(1.5)
        assert cloud.call("GET", f"/applications/{app_id}", token).json()["status"] == "in_progress"
    finally:
        cloud.call("POST", "/_local/fns/faults", json={"error_rate": 0, "latency_ms": 0})
    view = cloud.wait_for(app_id, token, {"ready"}, timeout=60)
    assert view["status"] == "ready"


def test_prefill_from_the_identity_provider(cloud: LocalCloud) -> None:
    person = {
        "full_name": VALID_BODY["full_name"],
        "birth_date": "1990-05-17",
        "snils": "112-233-445 95",
        "inn": "500100732259",
        "phone": "+79123456789",
        "trusted": True,
        "document_status": "NOT_VERIFIED",
    }
    reply = requests.post(
        f"{cloud.base_url}/_local/token",
        timeout=10,
        json={"sub": "e2e-prefill", "level": "confirmed", "roles": [], "person": person},
    )
    token = reply.json()["access_token"]
    prefilled = cloud.call("GET", "/applications/prefill", token)
    assert prefilled.status_code == 200, prefilled.text
    body = prefilled.json()
    assert body["fields"]["inn"] == "500100732259" and body["fields"]["full_name"]["last"] == "Иванов"
    assert body["verified"] == ["birth_date", "full_name", "inn", "snils"]
    assert cloud.call("GET", "/applications/prefill", cloud.token("e2e-nobody")).json()["fields"] == {}


def test_no_inn_is_found_by_passport(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-no-inn")
    body = new_taxpayer(cloud)
    inn = body.pop("inn")
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
    started = time.monotonic()
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"ready"})
    print(f"\ncode entered → INN found by passport → ready in {time.monotonic() - started:.2f} s")
    assert "inn_lookup" in [h["stage"] for h in view["history"]]
    operator = cloud.token("e2e-operator", roles=["operator"])
    found = cloud.call("GET", f"/operator/applications?inn={inn}", operator).json()["items"]
    assert [i["application_id"] for i in found] == [app_id]


def test_no_inn_and_unknown_passport_needs_clarification(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-no-inn-unknown")
    body = {
        **VALID_BODY,
        "phone": fresh_phone(),
        "passport": {**VALID_BODY["passport"], "number": fresh_passport_number()},
    }
    body.pop("inn")
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"needs_clarification"})
    assert view["required_actions"][0]["code"] == "fix_fields" and "inn" in view["required_actions"][0]["fields"]


def test_sixteen_day_old_application_gets_a_support_ticket(cloud: LocalCloud) -> None:
    from datetime import UTC, datetime, timedelta

    token = cloud.token("e2e-deadline")
    body = new_taxpayer(cloud)
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]  # never confirmed
    cloud.latest_code(body["phone"])  # the workflow has written its last change: now it only waits
    sixteen_days_ago = (datetime.now(UTC) - timedelta(days=16)).isoformat().replace("+00:00", "Z")
    cloud.aws("dynamodb").update_item(  # the only way to age an application: rewrite its creation time
        TableName=cloud.info["table_name"],
        Key={"pk": {"S": f"APP#{app_id}"}, "sk": {"S": "META"}},
        UpdateExpression="SET created_at = :t",
        ExpressionAttributeValues={":t": {"S": sixteen_days_ago}},
    )
    runs = cloud.call("POST", "/_local/schedules/run").json()["runs"]  # what the hourly schedule does
    assert any(r["result"]["tickets_opened"] >= 1 for r in runs), runs
    view = cloud.call("GET", f"/applications/{app_id}", token).json()
    assert "обращение в поддержку №" in view["history"][-1]["note"]
    again = cloud.call("POST", "/_local/schedules/run").json()["runs"]
    assert cloud.call("GET", f"/applications/{app_id}", token).json()["history"] == view["history"]  # only once
    assert again
