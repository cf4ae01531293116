"""Each role may do what docs/architecture.md's least-privilege table says, and nothing more.

Every (action, resource) pair a role allows must be in the set built here from the table; then a
few refusals the table spells out are checked by name, so a failure reads as the rule it breaks.
"""

from __future__ import annotations

import json

import pytest

from tests.infra.template_tools import (
    Template,
    actions,
    arn_of,
    function,
    function_statements,
    grants,
    mentions,
    of_type,
    one,
    ref_id,
    role_statements,
    service_functions,
)

pytestmark = pytest.mark.xdist_group("infra")

ITEM_ACTIONS = ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
DATA_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey")
XRAY = {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}
SUBMITTERS = ("ApplicationsApiFunction", "PartnerIntakeFunction")
TASKS = ("VerifyInnFunction", "ActivateCabinetFunction", "RecordFailureFunction")
# Functions that send contact-confirmation codes or answer notices (SMS to a phone number has no ARN, hence "*").
NOTIFIERS = ("ApplicationsApiFunction", "ConfirmContactFunction", "SupportApiFunction")


class Ids:
    def __init__(self, template: Template) -> None:
        self.table = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")[0]
        self.idempotency = one(template, "AWS::DynamoDB::Table", "IdempotencyTable")[0]
        self.data_key = one(template, "AWS::KMS::Key", "DataKey")[0]
        self.lookup_key = one(template, "AWS::KMS::Key", "LookupHashKey")[0]
        self.queue = one(template, "AWS::SQS::Queue", "IntakeQueue")[0]
        self.dlq = one(template, "AWS::SQS::Queue", "IntakeDlq")[0]
        self.machine = one(template, "AWS::StepFunctions::StateMachine")[0]
        self.documents = one(template, "AWS::S3::Bucket", "DocumentsBucket")[0]


def _allowed(template: Template, construct_id: str) -> set[tuple[str, str]]:
    """What architecture.md lets this function do, as (action, resource) pairs."""
    ids = Ids(template)
    fn = function(template, construct_id)[1]["Properties"]
    log_group = arn_of(ref_id(fn["LoggingConfig"]["LogGroup"]))
    allowed = {("logs:CreateLogStream", log_group), ("logs:PutLogEvents", log_group)} | XRAY
    if construct_id == "AuthorizerFunction":
        return allowed
    if construct_id == "PublishEventsFunction":  # the table's stream → the event bus; its failure queue
        stream = json.dumps({"Fn::GetAtt": [ids.table, "StreamArn"]}, sort_keys=True)
        failures = arn_of(one(template, "AWS::SQS::Queue", "PublishFailures")[0])
        events_key = arn_of(one(template, "AWS::KMS::Key", "EventsKey")[0])
        reads = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
        return (
            allowed
            | {(f"dynamodb:{a}", stream) for a in reads}
            | {("events:PutEvents", arn_of(one(template, "AWS::Events::EventBus")[0]))}
            | {("kms:Decrypt", arn_of(ids.data_key))}
            | {(a, failures) for a in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")}
            | {(a, events_key) for a in DATA_KEY_ACTIONS}
        )
    allowed |= {(f"dynamodb:{a}", arn_of(ids.table)) for a in ITEM_ACTIONS}
    allowed |= {(a, arn_of(ids.data_key)) for a in DATA_KEY_ACTIONS}
    machine = json.dumps({"Ref": ids.machine})
    index = json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [ids.table, "Arn"]}, "/index/*"]]}, sort_keys=True)
    if construct_id in ("DeadlineSweepFunction", "ProfileApiFunction"):  # list through the indexes
        allowed.add(("dynamodb:Query", index))
    if construct_id in (*SUBMITTERS, "ProfileApiFunction"):  # the access journal (batches of entries)
        allowed.add(("dynamodb:BatchWriteItem", arn_of(ids.table)))
    if construct_id in SUBMITTERS:
        allowed.add(("dynamodb:Query", index))
        idempotency_actions = (*ITEM_ACTIONS, "BatchGetItem", "BatchWriteItem", "DescribeTable", "Scan")
        allowed |= {(f"dynamodb:{a}", arn_of(ids.idempotency)) for a in idempotency_actions}
        allowed |= {
            ("dynamodb:GetRecords", arn_of(ids.idempotency)),
            ("dynamodb:GetShardIterator", arn_of(ids.idempotency)),
        }
        allowed |= {("kms:GenerateMac", arn_of(ids.lookup_key)), ("states:StartExecution", machine)}
    if construct_id == "PartnerIntakeFunction":
        consume = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
        allowed |= {(a, arn_of(ids.queue)) for a in (*consume, "sqs:GetQueueAttributes", "sqs:GetQueueUrl")}
        allowed |= {(a, arn_of(ids.dlq)) for a in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")}
    if construct_id in ("ApplicationsApiFunction", "DocumentUploadedFunction"):  # resume the workflow's waits
        allowed |= {(f"states:SendTask{s}", machine) for s in ("Success", "Failure", "Heartbeat")}
    if construct_id == "ApplicationsApiFunction":  # signs presigned uploads and reads of documents
        objects = json.dumps(
            {"Fn::Join": ["", [{"Fn::GetAtt": [ids.documents, "Arn"]}, "/applications/*"]]}, sort_keys=True
        )
        allowed |= {("s3:PutObject", objects), ("s3:GetObject", objects)}
    if construct_id == "ProfileApiFunction":  # change-request documents
        objects = json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [ids.documents, "Arn"]}, "/profile/*"]]}, sort_keys=True)
        allowed |= {("s3:PutObject", objects), ("s3:GetObject", objects)}
    if construct_id in ("ConfirmContactFunction", "VerifyInnFunction"):  # code hashes; a found INN's lock
        allowed.add(("kms:GenerateMac", arn_of(ids.lookup_key)))
    if construct_id == "SupportApiFunction":  # tickets by owner and status, the journal, INN hashes, screenshots
        screenshots = json.dumps(
            {"Fn::Join": ["", [{"Fn::GetAtt": [ids.documents, "Arn"]}, "/support/*"]]}, sort_keys=True
        )
        allowed |= {
            ("dynamodb:Query", index),
            ("dynamodb:BatchWriteItem", arn_of(ids.table)),
            ("kms:GenerateMac", arn_of(ids.lookup_key)),
            ("s3:PutObject", screenshots),
            ("s3:GetObject", screenshots),
        }
    return allowed


def _notification_grant(construct_id: str, action: str, resource: str) -> bool:
    if construct_id not in NOTIFIERS:
        return False
    return (action, resource) == ("sns:Publish", "*") or (action == "ses:SendEmail" and ":identity/" in resource)


def _function_ids(template: Template) -> list[str]:
    ids = []
    for logical in service_functions(template):
        assert logical.startswith("Functions"), logical
        ids.append(logical.removeprefix("Functions")[:-8])
    return ids


def test_every_grant_is_in_the_architecture_table(template: Template) -> None:
    for construct_id in _function_ids(template):
        extra = {
            (a, r)
            for a, r in grants(function_statements(template, construct_id)) - _allowed(template, construct_id)
            if not _notification_grant(construct_id, a, r)
        }
        assert not extra, f"{construct_id} may do more than architecture.md says: {sorted(extra)}"


def test_authorizer_touches_no_data(template: Template) -> None:
    granted = actions(function_statements(template, "AuthorizerFunction"))
    assert granted == {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_only_the_submitters_start_the_workflow(template: Template) -> None:
    machine = one(template, "AWS::StepFunctions::StateMachine")[0]
    for construct_id in _function_ids(template):
        starts = [r for a, r in grants(function_statements(template, construct_id)) if a == "states:StartExecution"]
        assert starts == ([json.dumps({"Ref": machine})] if construct_id in SUBMITTERS else []), construct_id


@pytest.mark.parametrize("construct_id", TASKS)
def test_workflow_tasks_use_items_only(template: Template, construct_id: str) -> None:
    ids = Ids(template)
    granted = grants(function_statements(template, construct_id))
    assert {(f"dynamodb:{a}", arn_of(ids.table)) for a in ITEM_ACTIONS} <= granted
    for action, resource in granted:
        assert not action.startswith(("states:", "sqs:", "sns:", "ses:")), action
        if construct_id != "VerifyInnFunction":  # hashes an INN found by passport (its lock)
            assert action != "kms:GenerateMac" or construct_id == "VerifyInnFunction"
        assert "/index/" not in resource, f"{construct_id} needs no index"
        assert not mentions(resource, ids.idempotency)


def test_queue_access(template: Template) -> None:
    ids = Ids(template)
    for construct_id in _function_ids(template):
        for action, resource in grants(function_statements(template, construct_id)):
            if action.startswith("sqs:"):
                assert construct_id in ("PartnerIntakeFunction", "PublishEventsFunction"), f"{construct_id}: {action}"
            if action == "sqs:SendMessage":
                publish_failures = arn_of(one(template, "AWS::SQS::Queue", "PublishFailures")[0])
                assert resource == (publish_failures if construct_id == "PublishEventsFunction" else arn_of(ids.dlq))


def test_wildcard_resources_only_where_the_api_has_no_arn(template: Template) -> None:
    everything = [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not {a for a in actions(everything) if a == "*" or a.endswith(":*")}
    for construct_id in _function_ids(template):
        wildcard = {a for a, r in grants(function_statements(template, construct_id)) if r == "*"}
        expected = {a for a, _ in XRAY} | ({"sns:Publish"} if construct_id in NOTIFIERS else set())
        assert wildcard <= expected, f"{construct_id}: {wildcard - expected}"


def test_state_machine_invokes_exactly_its_task_functions(template: Template) -> None:
    _, machine = one(template, "AWS::StepFunctions::StateMachine")
    role = ref_id(machine["Properties"]["RoleArn"])
    granted = grants(role_statements(template, role))
    invoked = {r for a, r in granted if a == "lambda:InvokeFunction"}
    substituted = {
        json.dumps(value, sort_keys=True) for value in machine["Properties"]["DefinitionSubstitutions"].values()
    }
    assert invoked == substituted, "no versions, no aliases, no other function"
    others = {a for a, _ in granted} - {"lambda:InvokeFunction"}
    assert all(a.startswith(("logs:", "xray:")) for a in others), others
    assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]
