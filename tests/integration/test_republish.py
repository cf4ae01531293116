"""`scripts.republish` against moto: the applications the publish-failures queue points at get their
current status on the partner's queue again (through the bus and the partner's rule), the messages
it handled are deleted, what it could not handle stays, and a dry run changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts import republish
from shared.events.status_changed import DETAIL_TYPE, EVENT_SOURCE
from tests.integration.conftest import create_tables

REGION = "eu-west-1"
STACK = "TaxCabinetStack"
TABLE = "applications"
BUS = f"{STACK}-applications"
INN = "500100732259"
WINDOW_EPOCH = (1795773600, 1795773610)  # 2026-11-27T10:00:00Z .. 10:00:10Z


def _app(application_id: str, updated_at: str, status: str = "ready", **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": f"APP#{application_id}",
        "sk": "META",
        "application_id": application_id,
        "status": status,
        "version": 4,
        "updated_at": updated_at,
        "rejection_reasons": [],
        "inn": INN,
        "gsi2pk": f"STATUS#{status}",
        "gsi2sk": f"{updated_at}#{application_id}",
        **extra,
    }
    return item


PARTNER = {"partner_id": "partner-1", "request_id": "req-1"}
ITEMS = [
    _app("a-unpublishable-then", "2026-11-27T08:00:00.5Z", **PARTNER),
    _app("b-in-window", "2026-11-27T10:00:05.123456Z", **PARTNER),
    {**_app("r-in-review", "2026-11-27T10:00:07Z", "in_progress", **PARTNER), "gsi2pk": "QUEUE#review"},
    _app("d-not-a-partners", "2026-11-27T10:00:06Z"),
    _app("c-later", "2026-11-27T11:00:00Z", **PARTNER),
]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
        for item in ITEMS:
            table.put_item(Item=item)
        sqs = boto3.client("sqs", region_name=REGION)
        failures = sqs.create_queue(QueueName=f"{STACK}-events-publish-failures")["QueueUrl"]
        outcomes = sqs.create_queue(QueueName=f"{STACK}-outcomes-partner-1")["QueueUrl"]
        outcomes_arn = sqs.get_queue_attributes(QueueUrl=outcomes, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=BUS)
        pattern = {"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"partner_id": ["partner-1"]}}
        events.put_rule(Name="partner-1", EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(Rule="partner-1", EventBusName=BUS, Targets=[{"Id": "q", "Arn": outcomes_arn}])
        yield {"failures": failures, "outcomes": outcomes}


def _send_failures(url: str) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    unpublishable = {
        "reason": "unpublishable",
        "problem": "missing attribute 'version'",
        "sequence_number": "100",
        "event_name": "MODIFY",
        "keys": {"pk": "APP#a-unpublishable-then", "sk": "META"},
    }
    batch = {
        "requestContext": {"condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {
            "shardId": "shardId-1",
            "startSequenceNumber": "200",
            "endSequenceNumber": "210",
            "approximateArrivalOfFirstRecord": WINDOW_EPOCH[0],
            "approximateArrivalOfLastRecord": WINDOW_EPOCH[1],
            "batchSize": 3,
        },
    }
    for body in (unpublishable, batch, {"something": "else"}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def _drain(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    bodies: list[dict[str, Any]] = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in got]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        )
    return bodies


def _depth(url: str) -> int:
    attrs = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _run(*argv: str) -> tuple[int, str]:
    lines: list[str] = []
    code = republish.main(
        [*argv, "--table-name", TABLE, "--event-bus-name", BUS, "--region", REGION, "--stack", STACK], lines.append
    )
    return code, "\n".join(lines)


def test_a_dry_run_shows_what_the_failures_point_at_and_changes_nothing(aws: dict[str, str]) -> None:
    _send_failures(aws["failures"])
    code, output = _run("--from-failures", "--dry-run")
    assert code == 0
    assert "a-unpublishable-then  ready v4 → partner-1: would publish" in output
    assert "b-in-window  ready v4 → partner-1: would publish" in output
    assert "r-in-review  in_progress v4 → partner-1: would publish" in output
    assert "d-not-a-partners  ready, not a partner's: nothing to send" in output
    assert "c-later" not in output, "changed after the window: that change was published"
    assert "not a message this tool knows" in output
    assert INN not in output
    assert _depth(aws["outcomes"]) == 0
    assert len(_drain(aws["failures"])) == 3, "every message is back on the queue, visible"


def test_republish_from_failures_delivers_the_current_status_and_deletes_what_it_handled(aws: dict[str, str]) -> None:
    _send_failures(aws["failures"])
    code, output = _run("--from-failures")
    assert code == 0, output
    delivered = {e["detail"]["application_id"]: e["detail"] for e in _drain(aws["outcomes"])}
    assert set(delivered) == {"a-unpublishable-then", "b-in-window", "r-in-review"}
    assert delivered["b-in-window"]["status"] == "ready" and delivered["b-in-window"]["application_version"] == 4
    assert delivered["r-in-review"]["request_id"] == "req-1"
    assert all(INN not in json.dumps(d) for d in delivered.values())
    left = _drain(aws["failures"])
    assert left == [{"something": "else"}], "only the message the tool does not know stays"
    assert "2 messages deleted, 1 left" in output


def test_an_item_that_still_cannot_make_an_event_keeps_its_message(aws: dict[str, str]) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE)
    table.update_item(Key={"pk": "APP#a-unpublishable-then", "sk": "META"}, UpdateExpression="REMOVE version")
    _send_failures(aws["failures"])
    code, output = _run("--from-failures")
    assert code == 1
    assert "a-unpublishable-then  still cannot make an event: missing attribute 'version'" in output
    left = _drain(aws["failures"])
    assert {json.dumps(b, sort_keys=True) for b in left} == {
        json.dumps({"something": "else"}, sort_keys=True),
        json.dumps(
            {
                "reason": "unpublishable",
                "problem": "missing attribute 'version'",
                "sequence_number": "100",
                "event_name": "MODIFY",
                "keys": {"pk": "APP#a-unpublishable-then", "sk": "META"},
            },
            sort_keys=True,
        ),
    }
    assert {e["detail"]["application_id"] for e in _drain(aws["outcomes"])} == {"b-in-window", "r-in-review"}


def test_by_ids_and_by_window(aws: dict[str, str]) -> None:
    code, output = _run("c-later", "no-such-application")
    assert code == 0 and "no-such-application  no such application" in output
    assert [e["detail"]["application_id"] for e in _drain(aws["outcomes"])] == ["c-later"]

    code, output = _run("--since", "2026-11-27T10:59:00Z", "--until", "2026-11-27T11:01:00Z")
    assert code == 0 and "1 applications" in output
    assert [e["detail"]["application_id"] for e in _drain(aws["outcomes"])] == ["c-later"]


def test_window_bounds_compare_with_stored_timestamps() -> None:
    start = republish._time(WINDOW_EPOCH[0])
    assert republish._bound(start) == "2026-11-27T10:00:00"
    assert republish._time("2026-11-27T10:00:00Z") == start == republish._time("2026-11-27T13:00:00+03:00")
    assert republish._bound(start) < "2026-11-27T10:00:00.5Z" < republish._bound(start) + "~"
