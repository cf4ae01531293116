"""CDK assertions on the stack's properties: keys, tables, queues, logs, functions, outputs, context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Match
from aws_cdk.assertions import Template as CdkTemplate

from scripts.build_layer import PYTHON_VERSION
from tests.infra.conftest import CONTEXT, ROOT
from tests.infra.template_tools import Template, as_list, function, of_type, one, ref_id, service_functions

pytestmark = pytest.mark.xdist_group("infra")

FUNCTIONS = {  # architecture.md: construct id -> (handler, environment variables)
    "AuthorizerFunction": ("functions.authorizer.handler.handler", {"IDP_JWKS_URL", "IDP_ISSUER", "IDP_AUDIENCE"}),
    "ApplicationsApiFunction": (
        "functions.submit_application.handler.handler",
        {"TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "STATE_MACHINE_ARN", "HASH_KEY_ID"},
    ),
    "PartnerIntakeFunction": (
        "functions.submit_application.intake.handler",
        {"TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "STATE_MACHINE_ARN", "HASH_KEY_ID", "INTAKE_DLQ_URL"},
    ),
    "VerifyInnFunction": (
        "functions.verify_inn.handler.handler",
        {"TABLE_NAME", "FNS_BASE_URL", "FNS_TIMEOUT_SECONDS"},
    ),
    "ActivateCabinetFunction": ("functions.activate_cabinet.handler.handler", {"TABLE_NAME"}),
    "RecordFailureFunction": ("functions.record_failure.handler.handler", {"TABLE_NAME"}),
    "ProfileApiFunction": ("functions.profile.handler.handler", {"TABLE_NAME", "DOCUMENTS_BUCKET"}),
    "SupportApiFunction": (
        "functions.support_ticket.handler.handler",
        {"TABLE_NAME", "HASH_KEY_ID", "EMAIL_SENDER", "DOCUMENTS_BUCKET"},
    ),
}
POWERTOOLS_ENV = {
    "POWERTOOLS_SERVICE_NAME": "tax-cabinet",
    "POWERTOOLS_METRICS_NAMESPACE": "TaxCabinet",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="module")
def cdk_template(template: Template) -> CdkTemplate:
    return CdkTemplate.from_json(template)


@pytest.fixture(scope="module")
def data_key(template: Template) -> str:
    return one(template, "AWS::KMS::Key", "DataKey")[0]


def test_data_key_rotates_and_lets_cloudwatch_logs_use_it_for_this_account_only(template: Template) -> None:
    _, key = one(template, "AWS::KMS::Key", "DataKey")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    (logs_statement,) = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if "logs." in json.dumps(s.get("Principal", {}))
    ]
    condition = json.dumps(logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert "AWS::AccountId" in condition and ":log-group:*" in condition


def test_hmac_key_is_for_macs_only(cdk_template: CdkTemplate) -> None:
    cdk_template.has_resource_properties(
        "AWS::KMS::Key", {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "Description": Match.any_value()}
    )


def test_tables_are_plain_tables_on_the_data_key_with_recovery(template: Template, data_key: str) -> None:
    assert not of_type(template, "AWS::DynamoDB::GlobalTable"), "TableV2 makes a GlobalTable, which moto skips"
    tables = of_type(template, "AWS::DynamoDB::Table")
    assert len(tables) == 2
    for table in tables.values():
        props = table["Properties"]
        assert props["SSESpecification"] == {
            "KMSMasterKeyId": {"Fn::GetAtt": [data_key, "Arn"]},
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_applications_table_layout(template: Template) -> None:
    _, table = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"gsi1", "gsi2", "gsi3"}
    for name, index in indexes.items():
        assert index["KeySchema"] == [
            {"AttributeName": f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert set(types.values()) == {"S"}
    assert table["DeletionPolicy"] == "Retain"
    assert props["DeletionProtectionEnabled"] is True


def test_idempotency_table_expires_records(template: Template) -> None:
    _, table = one(template, "AWS::DynamoDB::Table", "IdempotencyTable")
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_intake_queue_redrives_to_an_encrypted_dlq(template: Template, data_key: str) -> None:
    dlq_id, dlq = one(template, "AWS::SQS::Queue", "IntakeDlq")
    _, queue = one(template, "AWS::SQS::Queue", "IntakeQueue")
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    for q in (queue, dlq):
        assert q["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [data_key, "Arn"]}


def test_every_queue_refuses_plain_http(template: Template) -> None:
    queues = set(of_type(template, "AWS::SQS::Queue"))
    guarded = set()
    for policy in of_type(template, "AWS::SQS::QueuePolicy").values():
        props = policy["Properties"]
        for statement in props["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                assert statement["Principal"] == {"AWS": "*"} and statement["Action"] == "sqs:*"
                guarded |= {ref_id(q) for q in props["Queues"]} | {ref_id(r) for r in as_list(statement["Resource"])}
    assert queues <= guarded


def test_intake_function_consumes_the_queue_with_partial_batch_failures(template: Template) -> None:
    queue_id, queue = one(template, "AWS::SQS::Queue", "IntakeQueue")
    intake_id, intake = function(template, "PartnerIntakeFunction")
    (mapping,) = [  # the other mapping reads the table's stream (tests/infra/test_events.py)
        m
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert props["FunctionName"] == {"Ref": intake_id}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= props["BatchSize"] <= 10
    # AWS's rule for SQS event sources: visibility timeout at least 6x the function's timeout.
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * intake["Properties"]["Timeout"]


def test_no_queue_policy_names_partners_without_context(template: Template) -> None:
    assert "PartnersSend" not in json.dumps(of_type(template, "AWS::SQS::QueuePolicy"))


def test_every_log_group_is_encrypted_and_expires(template: Template, data_key: str) -> None:
    groups = of_type(template, "AWS::Logs::LogGroup")
    assert len(groups) >= len(FUNCTIONS) + 2  # functions, API access logs, workflow
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [data_key, "Arn"]}
        assert group["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("construct_id", FUNCTIONS)
def test_function_contract(template: Template, construct_id: str) -> None:
    handler, variables = FUNCTIONS[construct_id]
    _, fn = function(template, construct_id)
    props = fn["Properties"]
    assert props["Handler"] == handler
    assert props["Runtime"] == f"python{PYTHON_VERSION}", "runtime and layer build must agree"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    (layer,) = props["Layers"]
    assert ref_id(layer) == one(template, "AWS::Lambda::LayerVersion", "DependenciesLayer")[0]
    env = props["Environment"]["Variables"]
    assert variables <= set(env), f"missing {variables - set(env)}"
    assert POWERTOOLS_ENV.items() <= env.items()
    log_group = template["Resources"][ref_id(props["LoggingConfig"]["LogGroup"])]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert "ReservedConcurrentExecutions" not in props


def test_environment_points_at_the_stack_resources(template: Template) -> None:
    table, _ = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    idempotency, _ = one(template, "AWS::DynamoDB::Table", "IdempotencyTable")
    machine, _ = one(template, "AWS::StepFunctions::StateMachine")
    lookup_key, _ = one(template, "AWS::KMS::Key", "LookupHashKey")
    dlq, _ = one(template, "AWS::SQS::Queue", "IntakeDlq")
    for construct_id in ("ApplicationsApiFunction", "PartnerIntakeFunction"):
        env = function(template, construct_id)[1]["Properties"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": table}
        assert env["IDEMPOTENCY_TABLE_NAME"] == {"Ref": idempotency}
        assert env["STATE_MACHINE_ARN"] == {"Ref": machine}
        assert ref_id(env["HASH_KEY_ID"]) == lookup_key
    assert function(template, "PartnerIntakeFunction")[1]["Properties"]["Environment"]["Variables"][
        "INTAKE_DLQ_URL"
    ] == {"Ref": dlq}


def test_each_function_has_its_own_role_without_managed_policies(template: Template) -> None:
    functions = service_functions(template)
    roles = [ref_id(fn["Properties"]["Role"]) for fn in functions.values()]
    assert len(set(roles)) == len(roles)
    for role in roles:
        assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]


def test_context_reaches_the_functions_and_cdk_json_fills_the_rest(template: Template) -> None:
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    authorizer = function(template, "AuthorizerFunction")[1]["Properties"]["Environment"]["Variables"]
    assert authorizer["IDP_JWKS_URL"] == CONTEXT["idp_jwks_url"]
    assert authorizer["IDP_ISSUER"] == CONTEXT["idp_issuer"]
    assert authorizer["IDP_AUDIENCE"] == CONTEXT["idp_audience"]
    verify = function(template, "VerifyInnFunction")[1]["Properties"]["Environment"]["Variables"]
    assert verify["FNS_BASE_URL"] == defaults["fns_base_url"]


def test_outputs_name_what_the_local_cloud_and_operators_need(template: Template) -> None:
    outputs = template["Outputs"]
    table, _ = one(template, "AWS::DynamoDB::Table", "ApplicationsTable")
    queue, _ = one(template, "AWS::SQS::Queue", "IntakeQueue")
    machine, _ = one(template, "AWS::StepFunctions::StateMachine")
    assert outputs["TableName"]["Value"] == {"Ref": table}
    assert outputs["IntakeQueueUrl"]["Value"] == {"Ref": queue}
    assert outputs["StateMachineArn"]["Value"] == {"Ref": machine}
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])


def test_assets_are_prepared_folders_without_docker(assembly: Path, template: Template) -> None:
    manifest = json.loads((assembly / "TaxCabinetStack.assets.json").read_text())
    assert not manifest.get("dockerImages")
    for construct_id in FUNCTIONS:
        key = function(template, construct_id)[1]["Properties"]["Code"]["S3Key"]
        folder = assembly / f"asset.{key.removesuffix('.zip')}"
        extra = ["trust_store.pem"] if construct_id == "ApplicationsApiFunction" else []  # signed XML
        assert sorted(p.name for p in folder.iterdir()) == ["functions", "shared", *extra]
        code = [p.name for p in (folder / "functions").iterdir()]
        assert "__init__.py" in code and len(code) == 2, f"{construct_id} ships only its own folder: {code}"
        assert not list(folder.rglob("__pycache__"))


def test_stack_stays_well_under_the_resource_limit(template: Template) -> None:
    assert len(template["Resources"]) < 250  # CloudFormation allows 500; leave room for the later issues
