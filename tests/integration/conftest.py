"""moto-backed AWS for handler and storage tests: the table, the idempotency table, the HMAC key,
the state machine and the intake DLQ, shaped as infra/ creates them (the tables from
shared/adapters/dynamodb/table.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from shared import wiring
from shared.adapters.dynamodb import table
from shared.core import clients as aws
from shared.core import config
from tests.support.moto_env import REGION, use_moto_environment

# autouse: every answer of the three API functions is checked against docs/openapi.json
from tests.support.openapi_answers import answers_match_the_document  # noqa: F401


@dataclass
class Cloud:
    table: str
    idempotency_table: str
    hash_key_id: str
    state_machine_arn: str
    dlq_url: str

    def items(self) -> list[dict[str, Any]]:
        return boto3.client("dynamodb", region_name=REGION).scan(TableName=self.table)["Items"]

    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]


def create_tables(ddb: Any) -> tuple[str, str]:
    """The applications and idempotency tables, from their description in code (table.py)."""
    table.create_tables(ddb, "applications", "idempotency")
    return "applications", "idempotency"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    use_moto_environment(monkeypatch)
    with mock_aws():
        table, idem = create_tables(boto3.client("dynamodb", region_name=REGION))
        key = boto3.client("kms", region_name=REGION).create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="sfn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
        machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="onboarding",
            roleArn=role["Role"]["Arn"],
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )
        dlq = boto3.client("sqs", region_name=REGION).create_queue(QueueName="intake-dlq")["QueueUrl"]
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="no-reply@nalog-cabinet.example")
        env = {
            "TABLE_NAME": table,
            "IDEMPOTENCY_TABLE_NAME": idem,
            "HASH_KEY_ID": key["KeyMetadata"]["KeyId"],
            "STATE_MACHINE_ARN": machine["stateMachineArn"],
            "INTAKE_DLQ_URL": dlq,
            "POWERTOOLS_SERVICE_NAME": "tax-cabinet",
            "FNS_BASE_URL": "http://127.0.0.1:9/fns",
            "FNS_TIMEOUT_SECONDS": "2",
            "IDP_USERINFO_URL": "http://127.0.0.1:9/userinfo",  # refused at once: no person known
            "EMAIL_SENDER": "no-reply@nalog-cabinet.example",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for reset in (aws.reset, config.reset, wiring.reset):
            reset()
        yield Cloud(table, idem, key["KeyMetadata"]["KeyId"], machine["stateMachineArn"], dlq)
        for reset in (aws.reset, config.reset, wiring.reset):
            reset()


class Context(LambdaContext):
    """What the handlers read of a Lambda context."""

    function_name = "test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def api_event(
    method: str,
    path: str,
    *,
    sub: str = "citizen-1",
    level: str = "confirmed",
    roles: str = "",
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    resource: str | None = None,
    path_params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway sends it after the authorizer."""
    text = body if isinstance(body, str) or body is None else json.dumps(body, ensure_ascii=False)
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {k: [v] for k, v in {"Content-Type": "application/json", **(headers or {})}.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": path_params,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "rid-1",
            "stage": "v1",
            "resourcePath": resource or path,
            "httpMethod": method,
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"principalId": sub, "sub": sub, "level": level, "roles": roles},
        },
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:intake",
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies)
        ]
    }
