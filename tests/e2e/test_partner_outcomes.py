"""End to end against the local cloud: two partners submit through the intake queue; each one's
outcome queue carries exactly its own applications' status changes (the event's detail, valid
against the committed JSON Schema, without personal data), and never the other partner's."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support.fakes import VALID_BODY
from tests.support.identifiers import fresh_inn
from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/schemas/application-status-changed.v1.json").read_text())
PARTNERS = ("partner-1", "partner-2")


@dataclass
class Submitted:
    partner: str
    request_id: str
    body: dict[str, Any]
    expected: list[str]  # the statuses its partner must see, in order
    application_id: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)


def _submit(cloud: LocalCloud, partner: str, body: dict[str, Any], expected: list[str], times: int = 1) -> Submitted:
    submitted = Submitted(partner, str(uuid.uuid4()), body, expected)
    message = json.dumps({"partner_id": partner, "request_id": submitted.request_id, "application": body})
    for _ in range(times):  # a resent message: still one application, one first status
        cloud.aws("sqs").send_message(QueueUrl=cloud.info["intake_queue_url"], MessageBody=message)
    return submitted


def _unknown_taxpayer() -> dict[str, Any]:
    """Valid, but the FNS registry does not know the INN: rejected with reasons."""
    return {**VALID_BODY, "inn": fresh_inn("78"), "phone": "+79160000000"}


def _personal_values(body: dict[str, Any]) -> list[str]:
    snils_digits = "".join(c for c in body["snils"] if c.isdigit())
    return [
        body["inn"],
        body["snils"],
        snils_digits,
        body["passport"]["number"],
        body["full_name"]["last"],
        body["full_name"]["first"],
        body["phone"].lstrip("+"),
        body["email"].lower(),
    ]


def _collect(cloud: LocalCloud, submitted: list[Submitted], timeout: float = 60) -> dict[str, list[dict[str, Any]]]:
    """Every message on both partners' queues until each application has its expected statuses."""
    sqs = cloud.aws("sqs")
    urls = cloud.info["outcome_queue_urls"]
    seen: dict[str, list[dict[str, Any]]] = {p: [] for p in PARTNERS}
    by_request = {(s.partner, s.request_id): s for s in submitted}
    deadline = time.monotonic() + timeout

    def done() -> bool:
        return all(len(s.messages) >= len(s.expected) for s in submitted)

    while time.monotonic() < deadline and not done():
        for partner in PARTNERS:
            reply = sqs.receive_message(QueueUrl=urls[partner], MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for message in reply.get("Messages", []):
                now = time.time()
                body = json.loads(message["Body"])
                seen[partner].append(body)
                mine = by_request.get((body.get("partner_id"), body.get("request_id")))
                if mine is not None:
                    mine.messages.append(body)
                    mine.received_at.append(now)
                sqs.delete_message(QueueUrl=urls[partner], ReceiptHandle=message["ReceiptHandle"])
        time.sleep(0.05)
    time.sleep(1.0)  # a late duplicate or a stray message would arrive now: read the queues once more
    for partner in PARTNERS:
        reply = sqs.receive_message(QueueUrl=urls[partner], MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in reply.get("Messages", []):
            body = json.loads(message["Body"])
            seen[partner].append(body)
            mine = by_request.get((body.get("partner_id"), body.get("request_id")))
            if mine is not None:
                mine.messages.append(body)
    return seen


def test_local_info_names_each_partners_outcome_queue(cloud: LocalCloud) -> None:
    urls = cloud.info["outcome_queue_urls"]
    assert set(urls) == set(PARTNERS)
    assert cloud.info["outcome_queue_url"] == urls["partner-1"]
    assert all(url.startswith(cloud.info["aws_endpoint_url"]) for url in urls.values())
    assert urls["partner-1"] != urls["partner-2"]


def test_each_partner_receives_exactly_its_own_outcomes(cloud: LocalCloud) -> None:
    submitted = [
        _submit(cloud, "partner-1", new_taxpayer(cloud), ["in_progress", "ready"], times=2),
        _submit(cloud, "partner-1", _unknown_taxpayer(), ["in_progress", "rejected"]),
        _submit(cloud, "partner-2", new_taxpayer(cloud), ["in_progress", "ready"]),
        _submit(cloud, "partner-2", _unknown_taxpayer(), ["in_progress", "rejected"]),
    ]
    seen = _collect(cloud, submitted)

    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for partner, bodies in seen.items():
        for body in bodies:
            validator.validate(body)
            assert body["partner_id"] == partner, f"{partner}'s queue carried {body['partner_id']}'s outcome"

    for item in submitted:
        statuses = [m["status"] for m in item.messages]
        assert statuses == item.expected, (item.partner, item.messages)
        ids = {m["application_id"] for m in item.messages}
        assert len(ids) == 1, "one application per request, even when the message was sent twice"
        item.application_id = ids.pop()
        versions = [m["application_version"] for m in item.messages]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)
        final = item.messages[-1]
        if final["status"] == "rejected":
            (reason,) = final["rejection_reasons"]
            assert reason["code"] == "inn_not_found" and reason["message"] and reason["fix"]
        else:
            assert final["rejection_reasons"] == []
        text = json.dumps(item.messages, ensure_ascii=False)
        for value in _personal_values(item.body):
            assert value not in text, f"personal data in an outcome message: {value!r}"

    partner_1_apps = {s.application_id for s in submitted if s.partner == "partner-1"}
    assert not partner_1_apps & {b["application_id"] for b in seen["partner-2"]}, "partner-2 read partner-1's"
    assert len(seen["partner-1"]) == 4 and len(seen["partner-2"]) == 4, "no duplicate, nothing else"

    lags = [
        received - datetime.fromisoformat(m["changed_at"].replace("Z", "+00:00")).astimezone(UTC).timestamp()
        for s in submitted
        for m, received in zip(s.messages, s.received_at, strict=False)
        if m["status"] in ("ready", "rejected")
    ]
    mean = sum(lags) / len(lags)
    print(f"\nterminal status written → on the partner's queue: max {max(lags):.2f} s, mean {mean:.2f} s")


def test_an_application_from_another_channel_reaches_no_partner(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-outcomes-portal")
    body = new_taxpayer(cloud)
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    cloud.wait_for(app_id, token, {"ready"})
    time.sleep(1.0)
    sqs = cloud.aws("sqs")
    for partner in PARTNERS:
        reply = sqs.receive_message(QueueUrl=cloud.info["outcome_queue_urls"][partner], MaxNumberOfMessages=10)
        assert app_id not in json.dumps(reply.get("Messages", [])), partner
