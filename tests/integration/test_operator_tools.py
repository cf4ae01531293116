"""The operator tools against moto (docs/runbook.md): `scripts.redrive` moves dead letters back,
showing each message's reason and detail but never its body; `scripts.execution` finds an
application's workflow execution by its id. The queues come from a CloudFormation stack shaped
like the service's (its outputs are how the tools find them in AWS and in the local cloud)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts import execution, redrive

REGION = "eu-west-1"
STACK = "TaxCabinetStack"
ACCOUNT = "123456789012"
# Personal data in message bodies and in the workflow's input: must never reach the output.
INN = "500100732259"
SNILS = "112-233-445 95"
SURNAME = "Иванов"

TEMPLATE = {
    "Resources": {
        "IntakeDlq": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "IntakeQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["IntakeDlq", "Arn"]}, "maxReceiveCount": 3}
            },
        },
        "Undelivered": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{STACK}-events-undelivered"}},
        "Outcomes": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{STACK}-outcomes-partner-1"}},
    },
    "Outputs": {
        "IntakeDlqUrl": {"Value": {"Ref": "IntakeDlq"}},
        "IntakeQueueUrl": {"Value": {"Ref": "IntakeQueue"}},
        "StateMachineArn": {"Value": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:onboarding"},
    },
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "STATE_MACHINE_ARN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
        outputs = {
            o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
        }
        sqs = boto3.client("sqs", region_name=REGION)
        yield {
            "dlq": outputs["IntakeDlqUrl"],
            "intake": outputs["IntakeQueueUrl"],
            "undelivered": sqs.get_queue_url(QueueName=f"{STACK}-events-undelivered")["QueueUrl"],
            "outcomes": sqs.get_queue_url(QueueName=f"{STACK}-outcomes-partner-1")["QueueUrl"],
            "state_machine_arn": outputs["StateMachineArn"],
        }


def _sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


def _attrs(**values: str) -> dict[str, Any]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


def _partner_body(request_id: str) -> str:
    application = {"inn": INN, "snils": SNILS, "full_name": {"last": SURNAME, "first": "Иван"}}
    return json.dumps(
        {"partner_id": "bank-1", "request_id": request_id, "application": application}, ensure_ascii=False
    )


def _dead_letters(dlq: str) -> dict[str, str]:
    """The intake DLQ as the service fills it: two refused by the intake (with reason and detail),
    one moved by SQS after its receives ran out (no reason; the partner's own attribute kept)."""
    sqs = _sqs()
    ids = {}
    ids["malformed"] = sqs.send_message(
        QueueUrl=dlq,
        MessageBody=_partner_body("r-1").replace("application", "aplication"),
        MessageAttributes=_attrs(reason="malformed_message", detail="application", source_message_id="m-1"),
    )["MessageId"]
    ids["invalid"] = sqs.send_message(
        QueueUrl=dlq,
        MessageBody=_partner_body("r-2"),
        MessageAttributes=_attrs(
            reason="validation_failed", detail="inn:inn_checksum", partner_id="bank-1", request_id="r-2"
        ),
    )["MessageId"]
    ids["transient"] = sqs.send_message(
        QueueUrl=dlq, MessageBody=_partner_body("r-3"), MessageAttributes=_attrs(trace="partner-trace-3")
    )["MessageId"]
    return ids


def _drain(url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    sqs = _sqs()
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=60
    ).get("Messages", []):
        out.extend(batch)
    return out


def _visible(url: str) -> int:
    attributes = _sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _no_personal_data(text: str) -> None:
    for secret in (INN, SNILS, SURNAME, "full_name"):
        assert secret not in text, f"{secret!r} printed"


def _redrive(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = redrive.main([*args, "--region", REGION, "--receive-wait", "0"])  # moto answers at once
    output = capsys.readouterr().out
    _no_personal_data(output)
    return code, output


# --- redrive -----------------------------------------------------------------------------------


def test_a_dry_run_shows_each_message_and_why_and_changes_nothing(aws: dict[str, str], capsys) -> None:
    ids = _dead_letters(aws["dlq"])
    code, output = _redrive(capsys, "intake-dlq", "--dry-run")  # the stack's IntakeDlqUrl output
    assert code == 0
    lines = {name: next(line for line in output.splitlines() if mid in line) for name, mid in ids.items()}
    assert 'reason="malformed_message"' in lines["malformed"] and 'detail="application"' in lines["malformed"]
    assert 'reason="validation_failed"' in lines["invalid"] and 'detail="inn:inn_checksum"' in lines["invalid"]
    assert "no reason" in lines["transient"] and 'trace="partner-trace-3"' in lines["transient"]
    assert all("would move to" in line for line in lines.values())
    assert "3 selected (would be moved)" in output
    assert _visible(aws["dlq"]) == 3, "a dry run gives the messages back at once"
    assert _visible(aws["intake"]) == 0


def test_redrive_by_reason_then_at_most_n_then_the_rest(aws: dict[str, str], capsys) -> None:
    ids = _dead_letters(aws["dlq"])
    code, output = _redrive(capsys, "intake-dlq", "--reason", "none")
    assert code == 0 and "1 selected, 1 moved" in output and "2 left in place" in output
    (moved,) = _drain(aws["intake"])
    assert json.loads(moved["Body"])["request_id"] == "r-3", "the body arrives unchanged"
    assert moved["MessageAttributes"] == _attrs(trace="partner-trace-3"), "the partner's attributes are kept"
    assert _visible(aws["dlq"]) == 2

    code, output = _redrive(capsys, aws["dlq"], "--max", "1")
    assert code == 0 and "1 selected, 1 moved" in output
    assert _visible(aws["dlq"]) == 1

    code, output = _redrive(capsys, "intake-dlq")  # the whole queue: no move task in moto, so copies
    assert code == 0 and "falling back" in output and "1 moved" in output
    assert _visible(aws["dlq"]) == 0
    redriven = _drain(aws["intake"])
    assert {json.loads(m["Body"])["request_id"] for m in redriven} == {"r-1", "r-2"}
    for message in redriven:  # the dead-lettering bookkeeping does not travel back
        assert not {"reason", "detail", "source_message_id"} & set(message.get("MessageAttributes", {}))
    assert ids["malformed"] in output or ids["invalid"] in output


def test_discard_only_the_messages_of_a_reason(aws: dict[str, str], capsys) -> None:
    ids = _dead_letters(aws["dlq"])
    code, output = _redrive(capsys, "intake-dlq", "--reason", "malformed_message", "--discard")
    assert code == 0 and "1 discarded" in output and ids["malformed"] in output
    left = _drain(aws["dlq"])
    assert {m["MessageId"] for m in left} == {ids["invalid"], ids["transient"]}
    assert _visible(aws["intake"]) == 0


def test_undelivered_events_go_to_their_target_as_the_rule_would_send_them(aws: dict[str, str], capsys) -> None:
    outcome_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-outcomes-partner-1"
    detail = {"schema_version": "1.0", "partner_id": "partner-1", "request_id": "r-9", "application_id": "a-9"}
    event = {
        "version": "0",
        "detail-type": "ApplicationStatusChanged",
        "source": "tax-cabinet.applications",
        "detail": detail,
    }
    _sqs().send_message(
        QueueUrl=aws["undelivered"],
        MessageBody=json.dumps(event),
        MessageAttributes=_attrs(
            ERROR_CODE="SQS.KmsAccessDenied",
            ERROR_MESSAGE="no access to the key",
            RULE_ARN=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{STACK}-applications/partner-1",
            TARGET_ARN=outcome_arn,
        ),
    )
    with pytest.raises(SystemExit, match="--to-target"):  # no queue names it as its DLQ: say where
        redrive.main(["events-undelivered", "--region", REGION])
    code, output = _redrive(capsys, "events-undelivered", "--to-target")
    assert code == 0 and 'ERROR_CODE="SQS.KmsAccessDenied"' in output
    assert f"moved to {STACK}-outcomes-partner-1" in output
    (delivered,) = _drain(aws["outcomes"])
    assert json.loads(delivered["Body"]) == detail
    assert "MessageAttributes" not in delivered
    assert _visible(aws["undelivered"]) == 0


def test_where_the_endpoint_offers_it_a_whole_queue_goes_back_by_a_move_task(
    aws: dict[str, str], capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _dead_letters(aws["dlq"])
    conn = redrive.Connection(None, REGION, None, STACK)
    sqs = conn.client("sqs")
    calls: list[dict[str, Any]] = []

    def start_message_move_task(**kw: Any) -> dict[str, str]:
        calls.append(kw)
        return {"TaskHandle": "task-1"}

    sqs.start_message_move_task = start_message_move_task
    sqs.list_message_move_tasks = lambda **kw: {
        "Results": [
            {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 3, "ApproximateNumberOfMessagesToMove": 3}
        ]
    }
    monkeypatch.setattr(redrive.Connection, "from_args", classmethod(lambda cls, args: conn))
    code, output = _redrive(capsys, "intake-dlq", "--wait")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=aws["dlq"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert code == 0 and calls == [{"SourceArn": dlq_arn}]
    assert all(mid in output for mid in ids.values()), "each message is listed before the task takes them"
    assert "task-1" in output and "COMPLETED: 3 of 3 moved" in output
    assert _visible(aws["dlq"]) == 3, "listing gave them back for the task"


# --- execution ---------------------------------------------------------------------------------

DEFINITION = {
    "StartAt": "Received",
    "States": {
        "Received": {"Type": "Pass", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "RecordFailure"}],
            "Default": "AwaitReview",
        },
        "AwaitReview": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": None,
            "Next": "Done",
        },
        "RecordFailure": {"Type": "Fail", "Error": "WorkflowFailed", "Cause": f"lookup failed for INN {INN}"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture
def machine(aws: dict[str, str]) -> dict[str, str]:
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="onboarding", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    tokens = _sqs().create_queue(QueueName="review-tokens")["QueueUrl"]
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="onboarding", definition=json.dumps(DEFINITION), roleArn=role["Role"]["Arn"]
    )["stateMachineArn"]
    assert arn == aws["state_machine_arn"]
    return {"arn": arn, "tokens": tokens}


def _start(machine: dict[str, str], application_id: str, *, fail: bool) -> None:
    boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=machine["arn"],
        name=application_id,
        input=json.dumps(
            {
                "application_id": application_id,
                "correlation_id": f"corr-{application_id}",
                "fail": fail,
                "queue": machine["tokens"],
                "inn": INN,
            }
        ),
    )


def _until(condition: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def _execution(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = execution.main([*args, "--region", REGION])
    output = capsys.readouterr().out
    _no_personal_data(output)
    return code, output


def test_a_running_application_shows_the_state_it_waits_in(machine: dict[str, str], capsys) -> None:
    app_id = "6f1c1d5e-0000-4000-8000-000000000001"
    _start(machine, app_id, fail=False)
    token_message = _until(lambda: _drain(machine["tokens"]))
    code, output = _execution(capsys, app_id)  # the state machine from the stack's output
    assert code == 0
    assert f"arn:aws:states:{REGION}:{ACCOUNT}:execution:onboarding:{app_id}" in output
    assert "status          RUNNING" in output
    assert "current state   AwaitReview" in output
    assert f"correlation id  corr-{app_id}" in output
    assert "TaskStateEntered" in output and "sqs:sendMessage.waitForTaskToken" in output
    assert f'filter application_id = "{app_id}" or correlation_id = "corr-{app_id}"' in output

    token = json.loads(token_message[0]["Body"])["token"]
    boto3.client("stepfunctions", region_name=REGION).send_task_success(taskToken=token, output="{}")
    _until(
        lambda: (
            "SUCCEEDED"
            in json.dumps(execution.look_up(redrive.Connection(None, REGION, None, STACK), app_id, machine["arn"], 1))
        )
    )
    code, output = _execution(capsys, app_id, "--json")
    found = json.loads(output)
    assert code == 0 and found["status"] == "SUCCEEDED" and found["state"] == "Done"
    assert found["events"][0]["type"] == "ExecutionSucceeded"


def test_a_failed_execution_shows_its_error_with_personal_data_masked(machine: dict[str, str], capsys) -> None:
    app_id = "6f1c1d5e-0000-4000-8000-000000000002"
    _start(machine, app_id, fail=True)
    conn = redrive.Connection(None, REGION, None, STACK)
    _until(lambda: execution.look_up(conn, app_id, machine["arn"], 5).get("status") == "FAILED")
    code, output = _execution(capsys, app_id, "--state-machine-arn", machine["arn"], "--events", "3")
    assert code == 0
    assert "status          FAILED" in output and "last state      RecordFailure" in output
    assert "error           WorkflowFailed: lookup failed for INN ********2259" in output
    assert output.count("  #") == 3


def test_an_unknown_application_has_no_execution(machine: dict[str, str], capsys) -> None:
    code, output = _execution(capsys, "6f1c1d5e-0000-4000-8000-00000000dead")
    assert code == execution.EXIT_NOT_FOUND
    assert "no workflow execution for application 6f1c1d5e-0000-4000-8000-00000000dead" in output
    with pytest.raises(SystemExit):
        execution.main(["not an id", "--region", REGION])


def test_messages_that_arrive_during_a_run_are_left_for_the_next(
    aws: dict[str, str], capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One moved back that fails again at once comes back as a new message: never a loop."""
    _dead_letters(aws["dlq"])
    monkeypatch.setattr(redrive.time, "time", lambda: 0.0)  # the run "started" before every message
    code, output = _redrive(capsys, "intake-dlq", "--reason", "none")
    assert code == 0 and output.count("-> left: arrived during this run") == 3
    assert "0 selected" in output and _visible(aws["dlq"]) == 3 and _visible(aws["intake"]) == 0
