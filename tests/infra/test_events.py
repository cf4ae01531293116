"""Status events and partner outcomes in the template: the stream, the publisher's mapping and
rights, the bus, and per partner a rule, a queue only that partner reads, and the key it may use."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.events import DETAIL_TYPE, EVENT_SOURCE, parse_partners
from shared.events import status_changed as shared_events
from tests.infra.template_tools import (
    Template,
    arn_of,
    as_list,
    function,
    function_statements,
    grants,
    of_type,
    one,
    ref_id,
)

pytestmark = pytest.mark.xdist_group("infra")

PARTNERS = {"bank-1": "111122223333", "bank-2": "444455556666"}


def test_infra_and_the_code_name_the_same_event() -> None:
    assert (EVENT_SOURCE, DETAIL_TYPE) == (shared_events.EVENT_SOURCE, shared_events.DETAIL_TYPE)


def test_partners_context() -> None:
    assert parse_partners("") == {} and parse_partners(None) == {}
    assert parse_partners(" bank-1:111122223333, bank-2:444455556666 ") == PARTNERS
    assert parse_partners(PARTNERS) == PARTNERS
    for bad in ("bank-1", "bank-1:123", "Bank.1:111122223333", "bank-1:111122223333,bank-1:444455556666"):
        with pytest.raises(ValueError, match="partners"):
            parse_partners(bad)


# --- the stack as synthesized (no partners configured) ---------------------------------------


def test_the_applications_table_streams_new_and_old_images(template: Template) -> None:
    _, table = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_publisher_reads_the_stream_in_order_and_never_drops_a_change(template: Template) -> None:
    table, _ = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    failures, _ = one(template, "AWS::SQS::Queue", "PublishFailures")
    publisher, fn = function(template, "PublishEventsFunction")
    (mapping,) = [
        m["Properties"]
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": publisher}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumRetryAttempts" not in mapping, "retried until the record leaves the stream"
    assert mapping["MaximumRecordAgeInSeconds"] == 24 * 3600
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}}
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["META"]}}}}
    env = fn["Properties"]["Environment"]["Variables"]
    bus, _ = one(template, "AWS::Events::EventBus")
    assert env["EVENT_BUS_NAME"] == {"Ref": bus} and env["PUBLISH_FAILURES_URL"] == {"Ref": failures}
    assert fn["Properties"]["Handler"] == "functions.publish_events.handler.handler"


def test_the_bus_is_encrypted_with_the_events_key_and_dead_letters(template: Template) -> None:
    _, bus = one(template, "AWS::Events::EventBus")
    key, key_resource = one(template, "AWS::KMS::Key", "EventsKey")
    undelivered, _ = one(template, "AWS::SQS::Queue", "UndeliveredDlq")
    assert bus["Properties"]["Name"] == "TaxCabinetStack-applications"
    assert bus["Properties"]["KmsKeyIdentifier"] == {"Fn::GetAtt": [key, "Arn"]}
    assert bus["Properties"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [undelivered, "Arn"]}}
    assert key_resource["Properties"]["EnableKeyRotation"] is True
    on_bus = [r for r in of_type(template, "AWS::Events::Rule").values() if "EventBusName" in r["Properties"]]
    assert on_bus == [], "no partner configured: no rule on the bus"


def test_the_publisher_may_read_the_stream_and_put_on_the_bus_only(template: Template) -> None:
    table, _ = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    bus, _ = one(template, "AWS::Events::EventBus")
    failures, _ = one(template, "AWS::SQS::Queue", "PublishFailures")
    data_key, _ = one(template, "AWS::KMS::Key", "DataKey")
    events_key, _ = one(template, "AWS::KMS::Key", "EventsKey")
    stream = json.dumps({"Fn::GetAtt": [table, "StreamArn"]}, sort_keys=True)
    expected = {
        *{(f"dynamodb:{a}", stream) for a in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")},
        ("events:PutEvents", arn_of(bus)),
        ("kms:Decrypt", arn_of(data_key)),  # the stream's records are encrypted with the table's key
        *{(a, arn_of(failures)) for a in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")},
        *{(a, arn_of(events_key)) for a in ("kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")},
    }
    granted = grants(function_statements(template, "PublishEventsFunction"))
    logs_and_xray = {(a, r) for a, r in granted if a.startswith(("logs:", "xray:"))}
    assert granted - logs_and_xray == expected


# --- per partner (the construct alone, in-process, with cdk-nag) ------------------------------


@pytest.fixture(scope="module")
def partners_template() -> dict[str, Any]:
    from aws_cdk import App, Stack, Validations
    from aws_cdk.assertions import Template as CdkTemplate
    from cdk_nag import AwsSolutionsChecks

    from infra.components.events import OutcomeEvents

    app = App()
    stack = Stack(app, "TaxCabinetStack")
    OutcomeEvents(stack, "Events", partners=PARTNERS)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on an unacknowledged finding
    return dict(CdkTemplate.from_stack(stack).to_json())


def _statements(template: Template, queue: str) -> list[dict[str, Any]]:
    return [
        s
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("partner", PARTNERS)
def test_a_partner_rule_sends_only_its_own_changes_as_the_detail(partners_template: Template, partner: str) -> None:
    key = partner.replace("-", "")
    rule_id, rule = one(partners_template, "AWS::Events::Rule", f"OutcomeRule{key}")
    queue, _ = one(partners_template, "AWS::SQS::Queue", f"OutcomeQueue{key}")
    undelivered, _ = one(partners_template, "AWS::SQS::Queue", "UndeliveredDlq")
    bus, _ = one(partners_template, "AWS::Events::EventBus")
    props = rule["Properties"]
    assert props["EventBusName"] == {"Ref": bus}
    assert props["EventPattern"] == {
        "source": [EVENT_SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {"partner_id": [partner]},
    }
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["InputPath"] == "$.detail"
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [undelivered, "Arn"]}}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 24 * 3600
    sends = [
        s for s in _statements(partners_template, queue) if s["Effect"] == "Allow" and s["Action"] == "sqs:SendMessage"
    ]
    assert sends == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            "Sid": "ItsRuleSends",
        }
    ], "only its own rule may write into a partner's queue"


@pytest.mark.parametrize("partner", PARTNERS)
def test_only_that_partners_account_reads_its_queues(partners_template: Template, partner: str) -> None:
    key = partner.replace("-", "")
    for kind in ("OutcomeQueue", "OutcomeDlq"):
        queue_id, queue = one(partners_template, "AWS::SQS::Queue", f"{kind}{key}")
        suffix = "-dlq" if kind == "OutcomeDlq" else ""
        assert queue["Properties"]["QueueName"] == f"TaxCabinetStack-outcomes-{partner}{suffix}"
        assert "KmsMasterKeyId" in queue["Properties"]
        readers = [
            s
            for s in _statements(partners_template, queue_id)
            if s["Effect"] == "Allow" and "AWS" in s.get("Principal", {})
        ]
        principals = json.dumps([s["Principal"] for s in readers])
        assert PARTNERS[partner] in principals
        assert not [a for a in PARTNERS.values() if a != PARTNERS[partner] and a in principals], "no other partner"
        actions = {a for s in readers for a in as_list(s["Action"])}
        assert actions == {
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        }
    _, queue = one(partners_template, "AWS::SQS::Queue", f"OutcomeQueue{key}")
    dlq, _ = one(partners_template, "AWS::SQS::Queue", f"OutcomeDlq{key}")
    assert queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq, "Arn"]}


def test_partners_decrypt_only_their_own_queues_through_sqs(partners_template: Template) -> None:
    _, key = one(partners_template, "AWS::KMS::Key", "EventsKey")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for partner, account in PARTNERS.items():
        (mine,) = [s for s in statements if account in json.dumps(s.get("Principal", {}))]
        assert mine["Action"] == "kms:Decrypt"
        condition = json.dumps(mine["Condition"]["StringEquals"])
        assert "kms:ViaService" in condition and "sqs." in condition
        contexts = json.dumps(mine["Condition"]["StringEquals"]["kms:EncryptionContext:aws:sqs:arn"])
        assert f':TaxCabinetStack-outcomes-{partner}"' in contexts and f"outcomes-{partner}-dlq" in contexts
        assert not [p for p in PARTNERS if p != partner and f"outcomes-{p}" in contexts]
    (events_use,) = [s for s in statements if s.get("Sid") == "EventBridgeToTheEventQueues"]
    assert "kms:EncryptionContext:aws:sqs:arn" in json.dumps(events_use["Condition"]["StringLike"])


def test_every_event_queue_refuses_plain_http(partners_template: Template) -> None:
    queues = set(of_type(partners_template, "AWS::SQS::Queue"))
    guarded = {
        ref_id(q)
        for p in of_type(partners_template, "AWS::SQS::QueuePolicy").values()
        if any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
        for q in p["Properties"]["Queues"]
    }
    assert queues <= guarded
