"""localcloud.moto_speed changes how fast moto answers, never what: routing answers as before, a
definition parsed once still gives each execution its own program and the same results, and Step
Functions' Lambda client is made once."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from moto import backends, mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from localcloud import moto_speed

DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Work"}],
            "Default": "Skipped",
        },
        "Work": {"Type": "Pass", "Result": {"outcome": "match"}, "ResultPath": "$.verification", "Next": "Done"},
        "Skipped": {"Type": "Succeed"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    for owner, name, value in moto_speed.patches():
        monkeypatch.setattr(owner, name, value)


def test_routing_answers_as_before(patched: None) -> None:
    assert list(backends.list_of_moto_modules()) == list(backends.list_of_moto_modules.__wrapped__())  # type: ignore[attr-defined]
    assert "dynamodb" in list(backends.list_of_moto_modules())
    app = DomainDispatcherApplication(create_backend_app)
    for host in ("dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com", "moto_api", None, "nowhere"):
        once, twice = app.get_backend_for_host(host), app.get_backend_for_host(host)
        assert once == twice == DomainDispatcherApplication.get_backend_for_host.__wrapped__(app, host)  # type: ignore[attr-defined]


def test_a_definition_is_parsed_once_and_each_execution_gets_its_own_program(patched: None) -> None:
    definition = json.dumps(DEFINITION)
    first_program, first_tree = AmazonStateLanguageParser.parse(definition)
    second_program, second_tree = AmazonStateLanguageParser.parse(definition)
    assert second_tree is first_tree and second_program is not first_program
    with pytest.raises(Exception):  # noqa: B017 (moto's own parser error)
        AmazonStateLanguageParser.parse("{not a definition")


def _finish(sfn: Any, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.02)
    raise AssertionError("execution did not finish")


def test_executions_of_one_definition_run_as_before(patched: None) -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="eu-west-1")
        machine = sfn.create_state_machine(
            name="m", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        outputs = []
        for n, go in enumerate((True, False, True)):
            arn = sfn.start_execution(stateMachineArn=machine, name=f"e{n}", input=json.dumps({"go": go}))[
                "executionArn"
            ]
            described = _finish(sfn, arn)
            assert described["status"] == "SUCCEEDED"
            outputs.append(json.loads(described["output"]))
    assert outputs == [
        {"go": True, "verification": {"outcome": "match"}},
        {"go": False},
        {"go": True, "verification": {"outcome": "match"}},
    ]


def test_step_functions_lambda_client_is_made_once(patched: None) -> None:
    first = lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda")
    assert lambda_eval_utils.boto_client_for(region="eu-west-1", service="lambda") is first
    assert lambda_eval_utils.boto_client_for(region="eu-central-1", service="lambda") is not first
