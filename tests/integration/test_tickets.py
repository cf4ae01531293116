"""The support tickets API and the escalation sweep over moto: storage layout, access rules, the
desk, notifications, complaints, the access journal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.submit_application.handler import handler as applications_api
from functions.support_ticket import escalation
from functions.support_ticket.handler import handler
from shared import wiring
from shared.core import config
from tests.integration.conftest import REGION, Cloud, Context, api_event
from tests.support.data import TICKET
from tests.support.fakes import VALID_BODY, FixedClock

OPERATOR = {"sub": "op-1", "roles": "operator"}


@pytest.fixture
def support(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="documents", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    monkeypatch.setenv("DOCUMENTS_BUCKET", "documents")
    config.reset()
    wiring.reset()
    return cloud


def call(method: str, path: str, resource: str | None = None, **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    params = {"id": path.split("/")[3]} if resource and "{id}" in resource else None
    response = handler(api_event(method, path, resource=resource, path_params=params, **kw), Context())
    headers = dict(response.get("headers") or {})
    headers.update({k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], json.loads(response["body"]), headers


def create(body: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    status, reply, _ = call("POST", "/support/tickets", body=body or TICKET, **kw)
    assert status == 201, reply
    return reply


def get(ticket_id: str, **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    return call("GET", f"/support/tickets/{ticket_id}", "/support/tickets/{id}", **kw)


def patch(ticket_id: str, body: dict[str, Any], **kw: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    return call("PATCH", f"/operator/tickets/{ticket_id}", "/operator/tickets/{id}", body=body, **{**OPERATOR, **kw})


def items(cloud: Cloud, prefix: str) -> list[dict[str, Any]]:
    return [i for i in cloud.items() if i["pk"]["S"].startswith(prefix)]


def sms_sent() -> list[tuple[str, str]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def test_open_read_list_with_the_items_and_journal_it_leaves(support: Cloud) -> None:
    status, ticket, headers = call(
        "POST", "/support/tickets", body={**TICKET, "screenshot": {"content_type": "image/png", "size": 4096}}
    )
    assert status == 201, ticket
    assert headers["Location"] == f"/support/tickets/{ticket['ticket_id']}"
    assert (ticket["number"], ticket["status"], ticket["status_label"]) == ("ЛК-000001", "open", "Открыто")
    created = datetime.fromisoformat(ticket["created_at"])
    assert datetime.fromisoformat(ticket["answer_due_at"]) == created + timedelta(hours=12)
    upload = ticket["screenshot_upload"]
    assert upload["fields"]["key"] == f"support/{ticket['ticket_id']}/screenshot"
    policy = json.loads(__import__("base64").b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 4096] in policy["conditions"]

    (meta,) = items(support, f"TICKET#{ticket['ticket_id']}")
    assert meta["gsi1pk"]["S"] == "TICKETOWNER#citizen-1" and meta["gsi2pk"]["S"] == "TICKETS#open"
    assert meta["inn_masked"]["S"] == "********2259"
    assert "500100732259" not in json.dumps(support.items(), ensure_ascii=False)  # keyed hash only

    status, mine, _ = get(ticket["ticket_id"])
    assert status == 200 and mine["messages"] == [] and mine["phone_masked"] == "+7******6789"
    status, listed, _ = call("GET", "/support/tickets")
    assert status == 200 and [t["number"] for t in listed["items"]] == ["ЛК-000001"] and listed["next_token"] is None

    journal = sorted((i["action"]["S"], i["resource_id"]["S"]) for i in items(support, "JOURNAL#citizen-1"))
    ticket_id = ticket["ticket_id"]
    assert journal == [("create", ticket_id), ("read", ticket_id), ("read", ticket_id)]  # create, get, list


def test_someone_elses_ticket_answers_404_like_an_unknown_one(support: Cloud) -> None:
    ticket = create()
    for sub, ticket_id in (("citizen-2", ticket["ticket_id"]), ("citizen-1", "no-such-ticket")):
        status, problem, headers = get(ticket_id, sub=sub)
        assert (status, problem["code"]) == (404, "not_found")
        assert headers["Content-Type"] == "application/problem+json"
    status, _, _ = call(
        "POST",
        f"/support/tickets/{ticket['ticket_id']}/messages",
        "/support/tickets/{id}/messages",
        body={"text": "Чужое"},
        sub="citizen-2",
    )
    assert status == 404
    assert call("GET", "/support/tickets", sub="citizen-2")[1]["items"] == []
    assert items(support, "JOURNAL#citizen-2") == []  # nothing was shown, nothing is journaled


def test_validation_errors_are_problem_json_with_field_codes(support: Cloud) -> None:
    status, problem, headers = call(
        "POST", "/support/tickets", body={**TICKET, "inn": "500100732258", "phone": "12345", "description": "?"}
    )
    assert status == 422 and headers["Content-Type"] == "application/problem+json"
    assert problem["code"] == "validation_failed"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("inn", "inn_checksum"),
        ("phone", "phone_format"),
        ("description", "description_length"),
    }
    assert items(support, "TICKET#") == []
    status, problem, _ = call("POST", "/support/tickets", body="{not json")
    assert status == 422 and problem["errors"][0]["code"] == "invalid_json"


def test_a_ticket_about_someone_elses_application_is_a_field_error(support: Cloud) -> None:
    reply = applications_api(api_event("POST", "/applications", body=VALID_BODY, sub="citizen-1"), Context())
    application_id = json.loads(reply["body"])["application_id"]
    status, problem, _ = call("POST", "/support/tickets", body={**TICKET, "application_id": application_id}, sub="x")
    assert status == 422
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("application_id", "application_not_found")]
    assert items(support, "TICKET#") == []
    mine = create({**TICKET, "application_id": application_id})
    assert mine["application_id"] == application_id


def test_the_desk_assigns_answers_notifies_and_resolves(support: Cloud) -> None:
    form = create()
    email = create({**TICKET, "channel": "email", "email": "Ivanov@Example.ru"}, sub="citizen-2")
    status, problem, _ = call("GET", "/operator/tickets")
    assert (status, problem["code"]) == (403, "forbidden")
    assert patch(form["ticket_id"], {"assignee": "op-1"}, sub="citizen-1", roles="")[0] == 403

    status, desk, _ = call("GET", "/operator/tickets", **OPERATOR)
    assert status == 200 and [t["number"] for t in desk["items"]] == ["ЛК-000001", "ЛК-000002"]  # earliest target
    assert "full_name" not in desk["items"][0] and desk["items"][0]["inn_masked"] == "********2259"

    status, assigned, _ = patch(form["ticket_id"], {"assignee": "op-7"})
    assert status == 200 and (assigned["status"], assigned["assignee"]) == ("in_progress", "op-7")
    status, answered, _ = patch(email["ticket_id"], {"answer": "Код отправлен повторно."})
    assert status == 200 and answered["status"] == "answered" and answered["notified"] is True
    assert answered["full_name"]["last"] == "Иванов" and answered["phone"] == "+79123456789"
    assert [m["author"] for m in answered["messages"]] == ["operator"]
    assert any(phone == "+79123456789" and "ЛК-000002" in text for phone, text in sms_sent())
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert mail.destinations["ToAddresses"] == ["ivanov@example.ru"] and "Код отправлен повторно." in mail.body

    status, seen, _ = get(email["ticket_id"], sub="citizen-2")
    assert seen["status"] == "answered" and seen["messages"][0]["text"] == "Код отправлен повторно."
    assert "author_id" not in seen["messages"][0]

    status, resolved, _ = patch(email["ticket_id"], {"status": "resolved"})
    assert status == 200 and resolved["status"] == "resolved"
    status, problem, _ = call(
        "POST",
        f"/support/tickets/{email['ticket_id']}/messages",
        "/support/tickets/{id}/messages",
        body={"text": "Ещё вопрос"},
        sub="citizen-2",
    )
    assert (status, problem["code"]) == (409, "ticket_closed")
    status, problem, _ = patch(form["ticket_id"], {"status": "answered"})
    assert status == 422 and problem["errors"][0]["field"] == "answer"
    assert patch("no-such-ticket", {"assignee": "op-1"})[0] == 404

    journal = {(i["actor_role"]["S"], i["action"]["S"]) for i in items(support, "JOURNAL#citizen-2")}
    assert ("operator", "change") in journal and ("operator", "read") in journal


def test_desk_filters_and_pages(support: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, third = (create() for _ in range(3))
    patch(third["ticket_id"], {"answer": "Ответ"})
    status, page, _ = call("GET", "/operator/tickets", query={"limit": "1"}, **OPERATOR)
    assert status == 200 and [t["ticket_id"] for t in page["items"]] == [first["ticket_id"]]
    status, rest, _ = call("GET", "/operator/tickets", query={"next_token": page["next_token"]}, **OPERATOR)
    assert [t["ticket_id"] for t in rest["items"]] == [second["ticket_id"]]
    answered = call("GET", "/operator/tickets", query={"status": "answered"}, **OPERATOR)[1]
    assert [t["ticket_id"] for t in answered["items"]] == [third["ticket_id"]]
    assert call("GET", "/operator/tickets", query={"overdue": "true"}, **OPERATOR)[1]["items"] == []

    later = FixedClock(datetime.now(UTC) + timedelta(hours=13))
    monkeypatch.setattr(wiring.support_deps(), "clock", later)
    overdue = call("GET", "/operator/tickets", query={"overdue": "true"}, **OPERATOR)[1]["items"]
    assert [t["ticket_id"] for t in overdue] == [first["ticket_id"], second["ticket_id"]]
    assert all(t["overdue"] for t in overdue)

    for query, field in (
        ({"status": "lost"}, "status"),
        ({"overdue": "maybe"}, "overdue"),
        ({"status": "resolved", "overdue": "true"}, "overdue"),
        ({"next_token": "garbage"}, "next_token"),
    ):
        status, problem, _ = call("GET", "/operator/tickets", query=query, **OPERATOR)
        assert (status, problem["errors"][0]["field"]) == (400, field), query
    other = call("GET", "/support/tickets", query={"limit": "1"})[1]["next_token"]
    assert call("GET", "/support/tickets", query={"next_token": other}, sub="citizen-2")[0] == 400


def test_sweep_files_one_complaint_and_puts_deadline_tickets_on_the_desk(
    support: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting = create()
    answered = create()
    patch(answered["ticket_id"], {"answer": "Ответ"})
    reply = applications_api(api_event("POST", "/applications", body=VALID_BODY, sub="citizen-1"), Context())
    application_id = json.loads(reply["body"])["application_id"]

    later = FixedClock(datetime.now(UTC) + timedelta(days=30))
    monkeypatch.setattr(wiring, "SystemClock", lambda: later)  # the sweep's clock, 30 days on
    assert escalation.handler({}, Context()) == {"tickets_opened": 1, "complaints_filed": 1}
    assert escalation.handler({}, Context()) == {"tickets_opened": 0, "complaints_filed": 0}  # once each

    (complaint,) = items(support, "COMPLAINT#")
    assert complaint["pk"]["S"] == f"COMPLAINT#{waiting['ticket_id']}"
    assert (complaint["addressee"]["S"], complaint["number"]["S"]) == ("ФНС России", "ЖБ-000001")
    seen = get(waiting["ticket_id"])[1]
    assert seen["complaint"]["number"] == "ЖБ-000001" and "жалоба" in seen["messages"][-1]["text"]
    assert get(answered["ticket_id"])[1]["complaint"] is None

    deadline_id = f"deadline-{application_id}"
    desk = call("GET", "/operator/tickets", **OPERATOR)[1]["items"]
    (deadline,) = [t for t in desk if t["ticket_id"] == deadline_id]
    assert (deadline["channel"], deadline["reason"], deadline["number"]) == ("system", "deadline_15_days", "ЛК-000003")
    mine = get(deadline_id)[1]  # the citizen sees the ticket the service opened for them
    assert mine["application_id"] == application_id and mine["status"] == "open"


def test_unknown_route_is_problem_404(support: Cloud) -> None:
    status, problem, headers = call("GET", "/support/nothing")
    assert (status, problem["code"]) == (404, "not_found")
    assert headers["Content-Type"] == "application/problem+json"
