"""The publisher over moto: real writes of the repository → the table's stream (read as Lambda
receives it) → the handler → EventBridge → each partner's outcome queue, body = the event's detail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.publish_events import handler as publisher
from localcloud.moto_patches import _event_patches
from shared import wiring
from shared.adapters.dynamodb.applications import DynamoApplicationStore
from shared.adapters.dynamodb.stage_statistics import DynamoStageStatistics
from shared.applications.lifecycle import advance
from shared.applications.models import Application, Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from shared.core.errors import DuplicatePartnerRequest
from shared.events.status_changed import DETAIL_TYPE, EVENT_SOURCE
from tests.integration.conftest import REGION, Cloud, Context
from tests.support.data import partner as partner_origin
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock
from tests.support.identifiers import inn12

BUS = "applications"
PARTNERS = ("bank-1", "bank-2")


@dataclass
class Events:
    repo: DynamoApplicationStore
    stats: DynamoStageStatistics
    queues: dict[str, str]
    failures: str
    stream_arn: str
    clock: FixedClock
    read: int = 0  # stream records already handed to the handler

    def submit(self, partner: str, request_id: str, **body: Any) -> Application:
        deps = SubmissionDeps(self.repo, FakeHasher(), FakeWorkflow(), self.clock)
        origin = partner_origin(partner, request_id)
        return submit({**VALID_BODY, **body, "channel": "partner"}, origin, deps, request_id).application

    def stream_event(self) -> dict[str, Any]:
        """The new stream records, shaped as the Lambda service passes them."""
        # botocore sends calls naming a stream ARN to an account endpoint
        # (<account>.streams-ddb.<region>...) that moto's mock does not route: use the regional one.
        streams = boto3.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        shard = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"][self.read :]
        self.read += len(records)
        for record in records:
            record["dynamodb"]["ApproximateCreationDateTime"] = int(
                record["dynamodb"]["ApproximateCreationDateTime"].timestamp()
            )
            record["eventSourceARN"] = self.stream_arn
        return {"Records": records}

    def outcomes(self, partner: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        messages = sqs.receive_message(QueueUrl=self.queues[partner], MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def events(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[Events]:
    for owner, name, value in _event_patches():  # InputPath, as the local cloud honours it
        monkeypatch.setattr(owner, name, value, raising=False)
    ddb = boto3.client("dynamodb", region_name=REGION)
    table = ddb.describe_table(TableName=cloud.table)["Table"]  # created with its stream (table.py)
    sqs = boto3.client("sqs", region_name=REGION)
    bridge = boto3.client("events", region_name=REGION)
    bridge.create_event_bus(Name=BUS)
    queues = {}
    for partner in PARTNERS:
        queues[partner] = sqs.create_queue(QueueName=f"outcomes-{partner}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queues[partner], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"partner_id": [partner]}}
        bridge.put_rule(Name=f"outcomes-{partner}", EventBusName=BUS, EventPattern=json.dumps(pattern))
        bridge.put_targets(
            Rule=f"outcomes-{partner}", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn, "InputPath": "$.detail"}]
        )
    failures = sqs.create_queue(QueueName="publish-failures")["QueueUrl"]
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("PUBLISH_FAILURES_URL", failures)
    wiring.event_outlets.cache_clear()
    yield Events(
        DynamoApplicationStore(cloud.table),
        DynamoStageStatistics(cloud.table),
        queues,
        failures,
        table["LatestStreamArn"],
        FixedClock(),
    )
    wiring.event_outlets.cache_clear()


def test_each_partner_receives_its_own_outcomes_as_the_detail(events: Events) -> None:
    mine = events.submit("bank-1", "r-1")
    theirs = events.submit("bank-2", "r-1", inn=inn12("7727000000"))
    with pytest.raises(DuplicatePartnerRequest):  # a resent message: the transaction is cancelled
        events.repo.create(
            mine.model_copy(update={"application_id": "another-id"}),
            events.repo.history(mine.application_id)[0],
            lock_inn=False,
        )
    moved = advance(
        events.repo,
        events.stats,
        mine,
        now=events.clock.now(),
        status=Status.IN_PROGRESS,
        stage=Stage.FNS_CHECK,
        note="",
    )
    advance(
        events.repo,
        events.stats,
        moved,
        now=events.clock.now(),
        status=Status.READY,
        stage=Stage.COMPLETED,
        note="готово",
    )

    assert publisher.handler(events.stream_event(), Context()) == {"batchItemFailures": []}

    first, second = events.outcomes("bank-1")
    assert first == {
        "schema_version": "1.0",
        "partner_id": "bank-1",
        "request_id": "r-1",
        "application_id": mine.application_id,
        "status": "in_progress",
        "rejection_reasons": [],
        "application_version": 1,
        "changed_at": mine.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert (second["application_id"], second["status"], second["application_version"]) == (
        mine.application_id,
        "ready",
        3,
    )
    (other,) = events.outcomes("bank-2")
    assert other["application_id"] == theirs.application_id and other["partner_id"] == "bank-2"


def test_a_rejection_carries_its_reasons(events: Events) -> None:
    from shared.applications.models import RejectionReason

    app = events.submit("bank-2", "r-9")
    reason = RejectionReason(code="inn_not_found", message="ИНН не найден в реестре ФНС.", fix="Проверьте ИНН.")
    advance(
        events.repo,
        events.stats,
        app,
        now=events.clock.now(),
        status=Status.REJECTED,
        stage=Stage.COMPLETED,
        note="",
        rejection_reasons=[reason],
    )
    assert publisher.handler(events.stream_event(), Context()) == {"batchItemFailures": []}
    statuses = [(m["status"], m["rejection_reasons"]) for m in events.outcomes("bank-2")]
    assert statuses == [("in_progress", []), ("rejected", [reason.model_dump()])]
    assert events.outcomes("bank-1") == []


def test_a_refused_put_makes_lambda_retry_from_the_first_change(
    events: Events, monkeypatch: pytest.MonkeyPatch
) -> None:
    events.submit("bank-1", "r-2")
    stream = events.stream_event()
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    wiring.event_outlets.cache_clear()
    from shared.core import config

    config.reset()
    reply = publisher.handler(stream, Context())
    meta = next(r for r in stream["Records"] if r["dynamodb"]["Keys"]["sk"]["S"] == "META")
    assert reply == {"batchItemFailures": [{"itemIdentifier": meta["dynamodb"]["SequenceNumber"]}]}
    assert events.outcomes("bank-1") == []


def test_an_unpublishable_change_is_set_aside_without_its_data(events: Events) -> None:
    app = events.submit("bank-1", "r-3")
    events.stream_event()  # already published
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.update_item(
        TableName=events.repo._table,
        Key={"pk": {"S": f"APP#{app.application_id}"}, "sk": {"S": "META"}},
        UpdateExpression="SET #s = :s, updated_at = :t",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":s": {"S": "lost"},
            ":t": {"S": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()},
        },
    )
    assert publisher.handler(events.stream_event(), Context()) == {"batchItemFailures": []}
    sqs = boto3.client("sqs", region_name=REGION)
    (kept,) = sqs.receive_message(QueueUrl=events.failures).get("Messages", [])
    body = json.loads(kept["Body"])
    assert body["reason"] == "unpublishable" and body["problem"] == "status:enum"
    assert body["keys"] == {"pk": f"APP#{app.application_id}", "sk": "META"}
    assert "500100732259" not in kept["Body"]
