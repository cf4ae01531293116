"""CDK assertions on properties: encryption, recovery, redrive, authorizer, least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import synth

pytestmark = pytest.mark.xdist_group("infra")


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: dict[str, Any], kind: str, contains: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in of_type(template, kind).items() if contains in k]
    return found


def ref_id(node: Any) -> str:
    if "Ref" in node:
        return str(node["Ref"])
    return str(node["Fn::GetAtt"][0])


def statements_of(template: dict[str, Any], function_fragment: str) -> list[dict[str, Any]]:
    """Every IAM statement attached to the role of the function whose logical id has the fragment."""
    _, function = one(template, "AWS::Lambda::Function", function_fragment)
    role = ref_id(function["Properties"]["Role"])
    out = []
    for policy in of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    role_props = template["Resources"][role]["Properties"]
    assert "ManagedPolicyArns" not in role_props, "functions use no AWS managed policies"
    return out


def actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for s in statements:
        found |= set([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    return found


def test_data_key_rotates_and_hmac_key_is_for_macs(template: dict[str, Any]) -> None:
    _, data = one(template, "AWS::KMS::Key", "DataKey")
    assert data["Properties"]["EnableKeyRotation"] is True
    _, lookup = one(template, "AWS::KMS::Key", "LookupHashKey")
    assert lookup["Properties"]["KeySpec"] == "HMAC_256"
    assert lookup["Properties"]["KeyUsage"] == "GENERATE_VERIFY_MAC"


def test_tables_encrypted_with_the_data_key_and_recoverable(template: dict[str, Any]) -> None:
    key_id, _ = one(template, "AWS::KMS::Key", "DataKey")
    tables = of_type(template, "AWS::DynamoDB::Table")
    assert len(tables) == 2
    for table in tables.values():
        props = table["Properties"]
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["SSESpecification"]["SSEType"] == "KMS"
        assert ref_id(props["SSESpecification"]["KMSMasterKeyId"]) == key_id
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["BillingMode"] == "PAY_PER_REQUEST"
    _, apps = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    assert sorted(i["IndexName"] for i in apps["Properties"]["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3"]
    assert apps["DeletionPolicy"] == "Retain"
    _, idem = one(template, "AWS::DynamoDB::Table", "IdempotencyTable")
    assert idem["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_intake_queue_redrives_to_an_encrypted_dlq(template: dict[str, Any]) -> None:
    key_id, _ = one(template, "AWS::KMS::Key", "DataKey")
    dlq_id, dlq = one(template, "AWS::SQS::Queue", "IntakeDlq")
    _, queue = one(template, "AWS::SQS::Queue", "IntakeQueue")
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    for q in (queue, dlq):
        assert ref_id(q["Properties"]["KmsMasterKeyId"]) == key_id
    assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    policies = list(of_type(template, "AWS::SQS::QueuePolicy").values())
    denies = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert len(denies) == 2 and all(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    _, mapping = one(template, "AWS::Lambda::EventSourceMapping", "PartnerIntake")
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_api_method_has_the_jwt_authorizer(template: dict[str, Any]) -> None:
    authorizer_id, authorizer = one(template, "AWS::ApiGateway::Authorizer", "")
    assert authorizer["Properties"]["Type"] == "TOKEN"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    methods = of_type(template, "AWS::ApiGateway::Method")
    assert len(methods) == 5
    for method in methods.values():
        assert method["Properties"]["AuthorizationType"] == "CUSTOM"
        assert method["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    _, stage = one(template, "AWS::ApiGateway::Stage", "")
    assert stage["Properties"]["TracingEnabled"] is True
    assert stage["Properties"]["StageName"] == "v1"
    assert "AccessLogSetting" in stage["Properties"]
    assert all(s.get("DataTraceEnabled") is False for s in stage["Properties"]["MethodSettings"])


def test_problem_json_gateway_responses(template: dict[str, Any]) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    assert unauthorized["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    assert json.loads(unauthorized["ResponseTemplates"]["application/json"])["status"] == 401


def test_waf_guards_the_stage(template: dict[str, Any]) -> None:
    _, acl = one(template, "AWS::WAFv2::WebACL", "")
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    assert rules["PerIpRateLimit"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "AWSManagedRulesCommonRuleSet" in rules
    assert len(of_type(template, "AWS::WAFv2::WebACLAssociation")) == 1


def test_functions_runtime_and_tracing(template: dict[str, Any]) -> None:
    functions = of_type(template, "AWS::Lambda::Function")
    assert len(functions) == 6
    roles = set()
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 1
        roles.add(ref_id(props["Role"]))
    assert len(roles) == 6, "each function has its own role"


def test_least_privilege_per_function(template: dict[str, Any]) -> None:
    everything = [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not any(a in ("*", "dynamodb:*", "kms:*", "sqs:*", "states:*") for a in actions(everything))

    authorizer = actions(statements_of(template, "AuthorizerFunction"))
    assert authorizer <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }

    machine_id, _ = one(template, "AWS::StepFunctions::StateMachine", "")
    api = statements_of(template, "ApplicationsApiFunction")
    start = [s for s in api if s["Action"] == "states:StartExecution"]
    assert len(start) == 1 and start[0]["Resource"] == {"Ref": machine_id}
    assert "kms:GenerateMac" in actions(api)

    for task in ("VerifyInnFunction", "ActivateCabinetFunction", "RecordFailureFunction"):
        granted = statements_of(template, task)
        assert "states:StartExecution" not in actions(granted)
        assert "kms:GenerateMac" not in actions(granted)
        assert not any(a.startswith("sqs:") for a in actions(granted))
        for s in granted:
            if any(
                str(a).startswith("dynamodb:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            ):
                assert "index" not in json.dumps(s["Resource"]), f"{task} needs no index"

    intake = statements_of(template, "PartnerIntakeFunction")
    dlq_id, _ = one(template, "AWS::SQS::Queue", "IntakeDlq")
    sends = [s for s in intake if "sqs:SendMessage" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [dlq_id, "Arn"]}]


def test_state_machine_from_the_asl_file(template: dict[str, Any]) -> None:
    _, machine = one(template, "AWS::StepFunctions::StateMachine", "")
    props = machine["Properties"]
    definition = json.loads(props["DefinitionString"])
    assert definition["States"]["VerifyInn"]["Parameters"]["FunctionName"] == "${VerifyInnFunctionArn}"
    assert any(
        r["ErrorEquals"] == ["FnsUnavailable"] and r["JitterStrategy"] == "FULL"
        for r in definition["States"]["VerifyInn"]["Retry"]
    )
    tasks = [
        s
        for s in definition["States"].values()
        if s["Type"] == "Task" and s is not definition["States"]["RecordFailure"]
    ]
    assert all(t["Catch"][0]["Next"] == "RecordFailure" for t in tasks)
    assert set(props["DefinitionSubstitutions"]) == {
        "VerifyInnFunctionArn",
        "ActivateCabinetFunctionArn",
        "RecordFailureFunctionArn",
    }
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_partner_accounts_may_send_to_the_intake_queue() -> None:
    template = synth({"partner_account_ids": "111122223333, 444455556666"})
    statements = [
        s
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "PartnersSend"
    ]
    (statement,) = statements
    principals = json.dumps(statement["Principal"])
    assert "111122223333" in principals and "444455556666" in principals
    assert "sqs:SendMessage" in statement["Action"]
