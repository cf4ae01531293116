"""Support tickets through the local cloud: open, read, the desk answers, the citizen is told;
someone else's ticket or application, the desk's role, field errors; the complaint after 10
working days without an answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.identifiers import fresh_phone
from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")

PNG = b"\x89PNG\r\n\x1a\n" + b"synthetic screenshot"


def _ticket(phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "inn": "500100732259",
        "full_name": {"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
        "phone": phone,
        "description": "Не приходит код подтверждения, хотя номер указан верно.",
        **extra,
    }


def _problem(reply: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code and body["status"] == status and body["title"] and body["detail"]
    return dict(body)


def test_citizen_opens_a_ticket_and_the_desk_answers(cloud: LocalCloud) -> None:
    citizen, stranger = cloud.token("e2e-support-citizen"), cloud.token("e2e-support-stranger")
    operator = cloud.token("e2e-support-operator", roles=["operator"])
    phone = fresh_phone()
    reply = cloud.call(
        "POST",
        "/support/tickets",
        citizen,
        json=_ticket(
            phone,
            channel="email",
            email="Sokolova@Example.ru",
            screenshot={"content_type": "image/png", "size": len(PNG)},
        ),
    )
    assert reply.status_code == 201, reply.text
    ticket = reply.json()
    ticket_id = ticket["ticket_id"]
    assert ticket["number"].startswith("ЛК-") and ticket["status"] == "open" and ticket["answer_due_at"]
    assert reply.headers["Location"] == f"/support/tickets/{ticket_id}"
    upload = ticket["screenshot_upload"]
    posted = requests.post(
        upload["upload_url"], data=upload["fields"], files={"file": ("s.png", PNG, "image/png")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text

    mine = cloud.call("GET", f"/support/tickets/{ticket_id}", citizen)
    assert mine.status_code == 200 and mine.json()["email_masked"] == "s***@example.ru"
    assert ticket_id in [t["ticket_id"] for t in cloud.call("GET", "/support/tickets", citizen).json()["items"]]
    _problem(cloud.call("GET", f"/support/tickets/{ticket_id}", stranger), 404, "not_found")
    _problem(
        cloud.call("POST", f"/support/tickets/{ticket_id}/messages", stranger, json={"text": "Чужое"}), 404, "not_found"
    )
    assert ticket_id not in [t["ticket_id"] for t in cloud.call("GET", "/support/tickets", stranger).json()["items"]]

    desk = cloud.call("GET", "/operator/tickets", operator, params={"limit": "100"})
    assert desk.status_code == 200 and "next_token" in desk.json()
    detail = cloud.call("GET", f"/operator/tickets/{ticket_id}", operator).json()
    assert detail["full_name"]["last"] == "Соколова" and detail["inn_masked"] == "********2259"
    screenshot = requests.get(detail["screenshot"]["download_url"], timeout=10)
    assert screenshot.status_code == 200 and screenshot.content == PNG

    assigned = cloud.call(
        "PATCH", f"/operator/tickets/{ticket_id}", operator, json={"assignee": "e2e-support-operator"}
    )
    assert assigned.status_code == 200 and assigned.json()["status"] == "in_progress"
    answer = "Мы отправили код повторно: проверьте папку «Спам»."
    answered = cloud.call("PATCH", f"/operator/tickets/{ticket_id}", operator, json={"answer": answer})
    assert answered.status_code == 200 and answered.json()["status"] == "answered", answered.text
    assert answered.json()["notified"] is True
    assert any(ticket["number"] in text for text in cloud.sent_to(phone))  # SMS: an answer is there
    assert any(answer in text for text in cloud.sent_to("sokolova@example.ru"))  # email: the answer itself

    seen = cloud.call("GET", f"/support/tickets/{ticket_id}", citizen).json()
    assert seen["status"] == "answered" and seen["answered_at"]
    assert [(m["author"], m["text"]) for m in seen["messages"]][-1] == ("operator", answer)
    follow_up = cloud.call("POST", f"/support/tickets/{ticket_id}/messages", citizen, json={"text": "Не пришёл."})
    assert follow_up.status_code == 201 and follow_up.json()["status"] == "in_progress"
    resolved = cloud.call("PATCH", f"/operator/tickets/{ticket_id}", operator, json={"status": "resolved"})
    assert resolved.json()["status"] == "resolved"
    _problem(
        cloud.call("POST", f"/support/tickets/{ticket_id}/messages", citizen, json={"text": "Ещё"}),
        409,
        "ticket_closed",
    )
    journal = cloud.call("GET", "/me/access-log", citizen, params={"limit": "100"})
    assert journal.status_code == 200, journal.text
    kinds = {(e["actor_role"], e["action"]) for e in journal.json()["items"] if e["resource_id"] == ticket_id}
    assert {("citizen", "create"), ("citizen", "read"), ("operator", "read"), ("operator", "change")} <= kinds


def test_a_ticket_about_someone_elses_application_is_refused(cloud: LocalCloud) -> None:
    """422 with a field code, not 404: the route exists and the body is what is wrong; the answer
    is the same whether the application is someone else's or does not exist (no existence leak)."""
    owner, other = cloud.token("e2e-support-owner"), cloud.token("e2e-support-other")
    body = new_taxpayer(cloud)
    application_id = cloud.call("POST", "/applications", owner, json=body).json()["application_id"]
    for token, application in ((other, application_id), (owner, "00000000-0000-4000-8000-000000000000")):
        reply = cloud.call("POST", "/support/tickets", token, json=_ticket(fresh_phone(), application_id=application))
        problem = _problem(reply, 422, "validation_failed")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("application_id", "application_not_found")]
    mine = cloud.call("POST", "/support/tickets", owner, json=_ticket(body["phone"], application_id=application_id))
    assert mine.status_code == 201 and mine.json()["application_id"] == application_id


def test_desk_routes_need_the_operator_role(cloud: LocalCloud) -> None:
    citizen = cloud.token("e2e-support-not-operator")
    ticket_id = cloud.call("POST", "/support/tickets", citizen, json=_ticket(fresh_phone())).json()["ticket_id"]
    _problem(cloud.call("GET", "/operator/tickets", citizen), 403, "forbidden")
    _problem(cloud.call("GET", f"/operator/tickets/{ticket_id}", citizen), 403, "forbidden")
    _problem(
        cloud.call("PATCH", f"/operator/tickets/{ticket_id}", citizen, json={"answer": "Сам себе"}), 403, "forbidden"
    )
    assert cloud.call("GET", f"/support/tickets/{ticket_id}", citizen).json()["status"] == "open"  # unchanged


def test_field_errors_are_problem_json(cloud: LocalCloud) -> None:
    citizen = cloud.token("e2e-support-typo")
    reply = cloud.call(
        "POST", "/support/tickets", citizen, json=_ticket("8 (912) 34", inn="500100732258", description="?")
    )
    problem = _problem(reply, 422, "validation_failed")
    errors = {e["field"]: e for e in problem["errors"]}
    assert {f: e["code"] for f, e in errors.items()} == {
        "inn": "inn_checksum",
        "phone": "phone_format",
        "description": "description_length",
    }
    assert errors["inn"]["suggestions"] == ["500100732259"] and "опечатка" in errors["inn"]["message"]
    operator = cloud.token("e2e-support-operator-2", roles=["operator"])
    bad = cloud.call("GET", "/operator/tickets", operator, params={"status": "lost"})
    assert _problem(bad, 400, "validation_failed")["errors"][0]["field"] == "status"
    _problem(cloud.call("GET", "/support/nowhere", citizen), 404, "not_found")


def test_ten_working_days_without_an_answer_file_a_complaint_once(cloud: LocalCloud) -> None:
    citizen = cloud.token("e2e-support-complaint")
    ticket = cloud.call("POST", "/support/tickets", citizen, json=_ticket(fresh_phone())).json()
    ticket_id = ticket["ticket_id"]
    # The only way to age a ticket here: move its terms (and its place in the desk's index) into the past.
    past = datetime.now(UTC) - timedelta(days=1)
    stamp = past.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cloud.aws("dynamodb").update_item(
        TableName=cloud.info["table_name"],
        Key={"pk": {"S": f"TICKET#{ticket_id}"}, "sk": {"S": "META"}},
        UpdateExpression="SET complaint_due_at = :t, answer_due_at = :t, gsi2sk = :k",
        ExpressionAttributeValues={":t": {"S": stamp}, ":k": {"S": f"{stamp}#{ticket_id}"}},
    )
    overdue = cloud.call(
        "GET",
        "/operator/tickets",
        cloud.token("e2e-op-3", roles=["operator"]),
        params={"overdue": "true", "limit": "100"},
    )
    assert ticket_id in [t["ticket_id"] for t in overdue.json()["items"]]

    runs = cloud.call("POST", "/_local/schedules/run").json()["runs"]
    assert any((r.get("result") or {}).get("complaints_filed", 0) >= 1 for r in runs), runs
    seen = cloud.call("GET", f"/support/tickets/{ticket_id}", citizen).json()
    complaint = seen["complaint"]
    assert complaint["number"].startswith("ЖБ-") and complaint["addressee"] == "ФНС России" and complaint["filed_at"]
    assert complaint["number"] in seen["messages"][-1]["text"]

    cloud.call("POST", "/_local/schedules/run")
    again = cloud.call("GET", f"/support/tickets/{ticket_id}", citizen).json()
    assert again["complaint"] == complaint and len(again["messages"]) == len(seen["messages"])  # once
    records = cloud.aws("dynamodb").get_item(
        TableName=cloud.info["table_name"], Key={"pk": {"S": f"COMPLAINT#{ticket_id}"}, "sk": {"S": "META"}}
    )["Item"]
    assert json.loads(json.dumps(records))["ticket_number"]["S"] == ticket["number"]
