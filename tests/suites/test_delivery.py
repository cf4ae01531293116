"""Suite: duplicate and malformed partner delivery (issue 5, "The suites").

N partner messages (full: 1,000; quick: 100), each delivered twice, 10% malformed in ten kinds →
exactly the valid ones become applications, each once (counted in the table and through
`GET /operator/applications?inn=`); every delivery of a malformed one reaches the intake DLQ with
its `reason` attribute and makes no application; nothing is lost.

The two deliveries of a message are shuffled through the whole run and sent by several senders at
once (SQS `send_message_batch` of 10: moto recounts the queue on every send), so a duplicate can
arrive while its first copy is still being processed. moto's SQS → Lambda mapping invokes the
intake function inside the send, one record per call: when the sends return, every delivery has
been handled. The valid applications carry INNs the FNS registry does not know, so each workflow
ends quickly in `rejected`; the suite waits for that too (a started workflow per application).

`make suite-delivery` runs the full size; figures are printed with `-s`.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.local_cloud import LocalCloud, application_body, scan, wait_until
from tests.support.suites import report, run_id, scale

pytestmark = pytest.mark.xdist_group("e2e")

SENDERS = int(os.environ.get("SUITE_SENDERS", "4"))  # concurrent SQS senders
API_CHECKS = 100  # valid applications also searched through GET /operator/applications?inn=


@dataclass(frozen=True)
class Message:
    key: str
    body: str
    kind: str  # "valid" or a malformed kind
    reason: str | None = None  # the DLQ reason a malformed one must carry
    detail: str | None = None  # a fragment its `detail` attribute must contain
    request_id: str | None = None
    inn: str | None = None


def _envelope(pid: str, request_id: str, application: Any) -> str:
    return json.dumps({"partner_id": pid, "request_id": request_id, "application": application}, ensure_ascii=False)


def _without(app: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in app.items() if k not in fields}


def _bad_checksum(inn: str) -> str:
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


# kind → (make the body from partner id, request id, a valid application; DLQ reason; detail fragment)
MALFORMED: dict[str, tuple[Callable[[str, str, dict[str, Any]], str], str, str]] = {
    "not_json": (lambda pid, rid, app: f"{pid} {rid}: не JSON {{", "malformed_message", "not a JSON object"),
    "json_array": (lambda pid, rid, app: json.dumps([pid, rid]), "malformed_message", "not a JSON object"),
    "no_request_id": (
        lambda pid, rid, app: json.dumps({"partner_id": pid, "application": app, "ref": rid}, ensure_ascii=False),
        "malformed_message",
        "request_id",
    ),
    "bad_request_id": (
        lambda pid, rid, app: _envelope(pid, rid + " с пробелом", app),
        "malformed_message",
        "request_id",
    ),
    "application_not_object": (lambda pid, rid, app: _envelope(pid, rid, "Иванов"), "malformed_message", "application"),
    "missing_fields": (
        lambda pid, rid, app: _envelope(pid, rid, _without(app, "snils", "birth_date", "full_name")),
        "validation_failed",
        "snils:missing_field",
    ),
    "empty_application": (lambda pid, rid, app: _envelope(pid, rid, {}), "validation_failed", "passport:missing_field"),
    "bad_inn_checksum": (
        lambda pid, rid, app: _envelope(pid, rid, {**app, "inn": _bad_checksum(app["inn"])}),
        "validation_failed",
        "inn:inn_checksum",
    ),
    "wrong_types": (
        lambda pid, rid, app: _envelope(pid, rid, {**app, "birth_date": 19900517, "phone": 79123456789}),
        "validation_failed",
        "phone:invalid_type",
    ),
    "inn_as_number": (
        lambda pid, rid, app: _envelope(pid, rid, {**app, "inn": int(app["inn"])}),
        "validation_failed",
        "inn:invalid_type",
    ),
}


def _messages(pid: str, total: int) -> list[Message]:
    """Every tenth message is malformed, the kinds in turn."""
    kinds = list(MALFORMED)
    messages = []
    for i in range(total):
        request_id = f"req-{i:05d}"
        app = application_body()
        app.pop("channel")
        if i % 10 == 9:
            kind = kinds[(i // 10) % len(kinds)]
            make, reason, detail = MALFORMED[kind]
            messages.append(Message(request_id, make(pid, request_id, app), kind, reason, detail, request_id))
        else:
            body = _envelope(pid, request_id, app)
            messages.append(Message(request_id, body, "valid", None, None, request_id, app["inn"]))
    return messages


def _send_all(cloud: LocalCloud, deliveries: list[Message]) -> None:
    url = cloud.info["intake_queue_url"]
    batches = [deliveries[i : i + 10] for i in range(0, len(deliveries), 10)]

    def send(batch: list[Message]) -> None:
        sqs = cloud.aws("sqs")
        entries = [{"Id": f"d{n}", "MessageBody": m.body} for n, m in enumerate(batch)]
        reply = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not reply.get("Failed"), reply["Failed"]

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        list(pool.map(send, batches))


def _drain_dlq(cloud: LocalCloud, pid: str) -> list[dict[str, Any]]:
    """This run's dead letters (deleted once read); the other tests' are left visible."""
    sqs = cloud.aws("sqs")
    url = cloud.info["intake_dlq_url"]
    ours: list[dict[str, Any]] = []
    others: list[str] = []
    empty_reads = 0
    while empty_reads < 2:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300, MessageAttributeNames=["All"]
        ).get("Messages", [])
        empty_reads = 0 if got else empty_reads + 1
        for message in got:
            if pid in message["Body"]:
                ours.append(message)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for handle in others:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return ours


def _attr(message: dict[str, Any], name: str) -> str | None:
    value = message.get("MessageAttributes", {}).get(name)
    return value["StringValue"] if value else None


def test_each_valid_message_makes_one_application_and_each_malformed_one_is_dead_lettered(cloud: LocalCloud) -> None:
    total = scale(100, 1000)
    pid = f"suite-{run_id()}"
    messages = _messages(pid, total)
    valid = [m for m in messages if m.kind == "valid"]
    malformed = [m for m in messages if m.kind != "valid"]
    deliveries = messages * 2
    random.Random(pid).shuffle(deliveries)

    started = time.monotonic()
    _send_all(cloud, deliveries)
    sent = time.monotonic() - started

    # Every delivery was handled inside its send: the intake queue holds nothing of ours.
    sqs = cloud.aws("sqs")
    counts = sqs.get_queue_attributes(QueueUrl=cloud.info["intake_queue_url"], AttributeNames=["All"])["Attributes"]
    left_on_queue = int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"])

    # Applications, counted in the table: one META item per valid request, one partner-request key each.
    def ours() -> list[dict[str, Any]]:
        return scan(
            cloud,
            FilterExpression="sk = :meta AND partner_id = :pid",
            ExpressionAttributeValues={":meta": {"S": "META"}, ":pid": {"S": pid}},
        )

    apps = ours()
    by_request = Counter(item["request_id"]["S"] for item in apps)
    request_keys = scan(
        cloud,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": f"PARTNER#{pid}#"}},
    )

    # The same, through the operators' API, by INN.
    operator = cloud.token("suite-delivery-operator", roles=["operator"])

    def found_by_inn(inn: str) -> list[str]:
        reply = cloud.call("GET", f"/operator/applications?inn={inn}", operator)
        assert reply.status_code == 200, reply.text
        return [i["application_id"] for i in reply.json()["items"]]

    # All of them in the quick form; 100 in the full one (moto answers an index query by reading the
    # whole table: 0.4 s a search at full size, and the table count above is exact already).
    inns = [m.inn for m in valid]
    if len(inns) > API_CHECKS:
        inns = random.Random(pid).sample(inns, API_CHECKS)
    checked = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        api_found = dict(zip(inns, pool.map(found_by_inn, inns), strict=True))
    api_seconds = time.monotonic() - checked

    dead = _drain_dlq(cloud, pid)
    dead_bodies = Counter(m["Body"] for m in dead)
    expected = {m.body: m for m in malformed}
    reasons = Counter(_attr(m, "reason") for m in dead)
    wrong = [
        (expected[m["Body"]].kind, _attr(m, "reason"), _attr(m, "detail"))
        for m in dead
        if m["Body"] in expected
        and (
            _attr(m, "reason") != expected[m["Body"]].reason
            or (expected[m["Body"]].detail or "") not in (_attr(m, "detail") or "")
        )
    ]

    # Each workflow runs to its end (unknown INN → rejected), once.
    settled = wait_until(
        lambda: sum(i["status"]["S"] == "rejected" for i in ours()) == len(valid), timeout=scale(120, 900), interval=1
    )
    final = Counter(i["status"]["S"] for i in ours())
    finished = time.monotonic() - started

    report(
        "duplicate and malformed delivery",
        {
            "messages": f"{total} ({len(valid)} valid, {len(malformed)} malformed: "
            + ", ".join(f"{k} {v}" for k, v in sorted(Counter(m.kind for m in malformed).items()))
            + ")",
            "deliveries": f"{len(deliveries)} (each message twice, shuffled, {SENDERS} senders, batches of 10)",
            "send + intake wall time": f"{sent:.1f} s ({len(deliveries) / sent:.0f} deliveries/s)",
            "applications in the table": f"{len(apps)} for {len(by_request)} requests (expected {len(valid)})",
            "partner request keys": len(request_keys),
            "found by INN through the API": f"{sum(len(v) == 1 for v in api_found.values())} of {len(inns)} searched "
            f"({api_seconds:.1f} s)",
            "dead letters": f"{len(dead)} (expected {2 * len(malformed)}): "
            + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=str)),
            "left on the intake queue": left_on_queue,
            "workflows ended": f"{dict(final)} ({finished:.1f} s from the first send)",
        },
    )

    assert left_on_queue == 0
    assert len(apps) == len(valid), f"{len(apps)} applications for {len(valid)} valid messages"
    assert set(by_request) == {m.request_id for m in valid}, "a valid message made no application, or a bad one did"
    assert max(by_request.values()) == 1, [r for r, n in by_request.items() if n > 1]
    assert {item["application_id"]["S"] for item in request_keys} == {item["pk"]["S"][4:] for item in apps}
    missing = {inn: ids for inn, ids in api_found.items() if len(ids) != 1}
    assert not missing, f"not exactly one application by INN: {list(missing.items())[:5]}"
    assert {i for ids in api_found.values() for i in ids} <= {item["pk"]["S"][4:] for item in apps}
    assert all(dead_bodies[m.body] == 2 for m in malformed), [m.kind for m in malformed if dead_bodies[m.body] != 2]
    assert set(dead_bodies) == set(expected), "a valid message reached the DLQ"
    assert not wrong, f"dead letters without their reason: {wrong[:5]}"
    assert settled, f"workflows not ended: {dict(final)}"
