"""The local cloud's EventBridge and DynamoDB Streams fixes over moto, each with the gap it covers
(localcloud/moto_patches.py, localcloud/streams.py)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import streams
from localcloud.moto_patches import _event_patches

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


# --- EventBridge -----------------------------------------------------------------------------

BUS_TEMPLATE = {
    "Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "applications"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "outcomes"}},
        "Constant": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "constant"}},
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["tax-cabinet.applications"], "detail": {"partner_id": ["bank-1"]}},
                "Targets": [
                    {"Id": "detail", "Arn": {"Fn::GetAtt": ["Queue", "Arn"]}, "InputPath": "$.detail"},
                    {"Id": "constant", "Arn": {"Fn::GetAtt": ["Constant", "Arn"]}, "Input": '{"ping": 1}'},
                ],
            },
        },
    },
    "Outputs": {"BusName": {"Value": {"Ref": "Bus"}}},
}


def _messages(queue: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_a_rule_on_a_custom_bus_gets_its_input_path(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for owner, name, value in _event_patches():
        monkeypatch.setattr(owner, name, value, raising=False)
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(BUS_TEMPLATE))
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == "applications"  # Ref of a bus is its name
    detail = {"partner_id": "bank-1", "status": "ready", "time": "not the envelope's"}
    boto3.client("events", region_name=REGION).put_events(
        Entries=[
            {
                "EventBusName": "applications",
                "Source": "tax-cabinet.applications",
                "DetailType": "ApplicationStatusChanged",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert [json.loads(b) for b in _messages("outcomes")] == [detail]  # the detail, not the envelope
    assert _messages("constant") == ['{"ping": 1}']


# --- DynamoDB Streams → Lambda ---------------------------------------------------------------


def _succeed(records: list[dict[str, Any]]) -> tuple[Any, bool]:
    return {"batchItemFailures": []}, False


@dataclass
class Function:
    """Stands in for the runtime: `decide` answers each call; what each call got, on which thread."""

    decide: Callable[[list[dict[str, Any]]], tuple[Any, bool]] = _succeed
    calls: list[list[dict[str, Any]]] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    def invoke(self, event: dict[str, Any]) -> tuple[str, bool, str]:
        self.calls.append(event["Records"])
        self.threads.append(threading.current_thread().name)
        payload, errored = self.decide(event["Records"])
        return json.dumps(payload), errored, ""

    def keys(self) -> list[list[str]]:
        return [[r["dynamodb"]["Keys"]["pk"]["S"] for r in call] for call in self.calls]


@dataclass
class Stream:
    function: Function
    table: str = "applications"
    failures_url: str = ""

    def put(self, *pks: str, sk: str = "META", condition: str | None = None) -> None:
        items = []
        for pk in pks:
            op: dict[str, Any] = {"TableName": self.table, "Item": {"pk": {"S": pk}, "sk": {"S": sk}}}
            if condition:
                op["ConditionExpression"] = condition
            items.append({"Put": op})
        boto3.client("dynamodb", region_name=REGION).transact_write_items(TransactItems=items)

    def failures(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=self.failures_url).get("Messages", [])]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(e, c): return e\n")
    return buffer.getvalue()


@pytest.fixture
def stream(aws: None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Stream:
    from moto.awslambda.models import LambdaFunction

    for owner, name, value in streams.patches():
        monkeypatch.setattr(owner, name, value)
    monkeypatch.setattr(streams, "BACKOFF_SECONDS", 0.0)
    monkeypatch.setattr(streams, "MAX_LOCAL_WINDOW_SECONDS", 0.2)  # a batch of 3 collects well within it
    function = Function()
    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", lambda self, event=None: function.invoke(event))
    ddb = boto3.client("dynamodb", region_name=REGION)
    table = ddb.create_table(
        TableName="applications",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    role = boto3.client("iam", region_name=REGION).create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(
        FunctionName="publisher",
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="h.h",
        Code={"ZipFile": _zip()},
    )
    sqs = boto3.client("sqs", region_name=REGION)
    failures = sqs.create_queue(QueueName="publish-failures")["QueueUrl"]
    failures_arn = sqs.get_queue_attributes(QueueUrl=failures, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping: dict[str, Any] = {
        "EventSourceArn": table["LatestStreamArn"],
        "FunctionName": "publisher",
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": 3,
        "MaximumBatchingWindowInSeconds": 1,
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"dynamodb": {"Keys": {"sk": {"S": ["META"]}}}})}]},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnFailure": {"Destination": failures_arn}},
        **getattr(request, "param", {}),
    }
    lam.create_event_source_mapping(**mapping)
    return Stream(function, failures_url=failures)


def test_records_arrive_after_commit_off_the_writers_thread_and_filtered(stream: Stream) -> None:
    stream.put("APP#a")
    stream.put("APP#a", sk="HIST#1")  # filtered out: not a META item
    assert streams.wait_idle()
    assert stream.function.keys() == [["APP#a"]]
    assert stream.function.threads[0].startswith("stream-")
    (record,) = stream.function.calls[0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["NewImage"]["pk"] == {"S": "APP#a"}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


def test_a_cancelled_transaction_delivers_nothing(stream: Stream) -> None:
    stream.put("APP#a")
    assert streams.wait_idle()
    with pytest.raises(ClientError, match="TransactionCanceled"):  # APP#b is written, then rolled back
        stream.put("APP#b", "APP#a", condition="attribute_not_exists(pk)")
    assert streams.wait_idle()
    assert stream.function.keys() == [["APP#a"]]


def test_a_partial_batch_failure_resumes_from_the_reported_record(stream: Stream) -> None:
    def second_fails_once(records: list[dict[str, Any]]) -> tuple[Any, bool]:
        if len(stream.function.calls) > 1:
            return {"batchItemFailures": []}, False
        return {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}, False

    stream.function.decide = second_fails_once
    stream.put("APP#a", "APP#b", "APP#c")
    assert streams.wait_idle()
    assert stream.function.keys() == [["APP#a", "APP#b", "APP#c"], ["APP#b", "APP#c"]]
    assert stream.failures() == []


def test_a_batch_that_keeps_failing_goes_to_the_on_failure_queue(stream: Stream) -> None:
    stream.function.decide = lambda records: ({"errorType": "Boom"}, True)
    stream.put("APP#a")
    assert streams.wait_idle()
    assert len(stream.function.calls) == 2  # the first try and MaximumRetryAttempts=1
    (failure,) = stream.failures()
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and "/stream/" in info["streamArn"]
    assert info["startSequenceNumber"] == stream.function.calls[0][0]["dynamodb"]["SequenceNumber"]
    assert "APP#a" not in json.dumps(failure), "the position of the batch, never its data"


@pytest.mark.parametrize("stream", [{"BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 0}], indirect=True)
def test_bisecting_isolates_the_record_that_fails(stream: Stream) -> None:
    def poisoned(records: list[dict[str, Any]]) -> tuple[Any, bool]:
        poison = any(r["dynamodb"]["Keys"]["pk"]["S"] == "APP#b" for r in records)
        return ({"errorType": "Boom"}, True) if poison else ({}, False)

    stream.function.decide = poisoned
    stream.put("APP#a", "APP#b")
    assert streams.wait_idle()
    assert stream.function.keys() == [["APP#a", "APP#b"], ["APP#a"], ["APP#b"]]
    (failure,) = stream.failures()
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1


def test_a_table_without_a_mapping_keeps_its_records_for_get_records(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for owner, name, value in streams.patches():
        monkeypatch.setattr(owner, name, value)
    ddb = boto3.client("dynamodb", region_name=REGION)
    arn = ddb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}}])
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}}}},
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "a"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    ddb.put_item(TableName="t", Item={"pk": {"S": "c"}})
    client = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records = client.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["a", "c"]
    assert len({r["dynamodb"]["SequenceNumber"] for r in records}) == 2
