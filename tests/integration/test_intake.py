"""Partner intake over moto: idempotent on (partner_id, request_id), malformed to the DLQ with a reason."""

from __future__ import annotations

import json

import boto3
import pytest

from functions.submit_application import intake
from tests.integration.conftest import REGION, Cloud, Context, sqs_event
from tests.support.fakes import VALID_BODY
from tests.support.identifiers import inn12


def message(request_id: str = "r-1", **application: object) -> str:
    return json.dumps(
        {"partner_id": "bank-1", "request_id": request_id, "application": {**VALID_BODY, **application}},
        ensure_ascii=False,
    )


def dlq(cloud: Cloud) -> list[dict]:
    sqs = boto3.client("sqs", region_name=REGION)
    return sqs.receive_message(QueueUrl=cloud.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    )


def apps(cloud: Cloud) -> list[dict]:
    return [i for i in cloud.items() if i["sk"]["S"] == "META"]


def test_duplicated_message_makes_one_application(cloud: Cloud) -> None:
    result = intake.handler(sqs_event(message(), message()), Context())
    assert result == {"batchItemFailures": []}
    again = intake.handler(sqs_event(message()), Context())  # redelivered later
    assert again == {"batchItemFailures": []}
    (app,) = apps(cloud)
    assert app["channel"]["S"] == "partner" and app["partner_id"]["S"] == "bank-1"
    assert len(cloud.executions()) == 1
    assert dlq(cloud) == []


def test_malformed_messages_go_to_dlq_with_reason(cloud: Cloud) -> None:
    result = intake.handler(
        sqs_event("not json", json.dumps({"partner_id": "bank-1"}), message("r-2", inn="500100732258"), message("r-3")),
        Context(),
    )
    assert result == {"batchItemFailures": []}
    dead = dlq(cloud)
    reasons = sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in dead)
    assert reasons == ["malformed_message", "malformed_message", "validation_failed"]
    invalid = next(m for m in dead if m["MessageAttributes"]["reason"]["StringValue"] == "validation_failed")
    assert invalid["MessageAttributes"]["detail"]["StringValue"] == "inn:inn_checksum"
    assert invalid["MessageAttributes"]["request_id"]["StringValue"] == "r-2"
    assert len(apps(cloud)) == 1  # only the valid one


def test_transient_fault_fails_only_that_record(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.applications import intake as use_case
    from shared.core.errors import TransientStorageError

    real = use_case.submit
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise TransientStorageError("throttled")
        return real(*args, **kwargs)

    monkeypatch.setattr(use_case, "submit", flaky)
    result = intake.handler(sqs_event(message("r-a"), message("r-b", inn=inn12("7727000000"))), Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert dlq(cloud) == []
