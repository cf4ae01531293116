"""moto integration: the contact-code store, the SMS/email adapters, the document store and rules."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from functions.submit_application.handler import handler as api
from shared import wiring
from shared.contact.confirmation import confirm, resend, workflow_waits
from shared.core.errors import DomainError
from tests.integration.conftest import REGION, Cloud, Context, api_event
from tests.support.fakes import VALID_BODY


def _submit(body: dict | None = None) -> str:
    response = api(api_event("POST", "/applications", body=body or VALID_BODY), Context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["application_id"])


@pytest.fixture
def contact(cloud: Cloud, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CODE_TTL_SECONDS", "600")
    deps = wiring.contact_deps()
    sent: list[str] = []
    real_sms = deps.notifier.send_sms

    def capture(phone: str, text: str) -> None:
        sent.append(text.split(": ")[1][:6])
        real_sms(phone, text)

    monkeypatch.setattr(deps.notifier, "send_sms", capture)
    return deps, sent


def test_code_store_keeps_only_a_keyed_hash_with_a_ttl(cloud: Cloud, contact) -> None:
    deps, sent = contact
    app_id = _submit()
    waiting = workflow_waits(deps, deps.repo.get(app_id), "token", expired=False)
    code_items = [i for i in cloud.items() if i["sk"]["S"] == "CODE"]
    assert len(code_items) == 1 and sent[0] not in json.dumps(code_items)
    assert int(code_items[0]["ttl"]["N"]) > 0
    from moto.sns.models import sns_backends

    assert any(phone == "+79123456789" for phone, _ in sns_backends["123456789012"][REGION].sms_messages.values())
    with pytest.raises(DomainError) as wrong:
        confirm(deps, waiting, "000000" if sent[0] != "000000" else "111111")
    assert wrong.value.extra["tries_left"] == 4
    assert next(i for i in cloud.items() if i["sk"]["S"] == "CODE")["attempts"]["N"] == "1"


def test_resend_waits_a_minute_then_email_goes_through_ses(cloud: Cloud, contact) -> None:
    deps, _ = contact
    app_id = _submit({**VALID_BODY, "confirmation_channel": "email"})
    app = workflow_waits(deps, deps.repo.get(app_id), "token", expired=False)
    with pytest.raises(DomainError) as too_soon:
        resend(deps, app)
    assert too_soon.value.code == "resend_too_soon"
    from moto.ses.models import ses_backends

    (message,) = ses_backends["123456789012"][REGION].sent_messages
    assert message.destinations["ToAddresses"] == ["ivanov@example.ru"]
    deps.clock = type("Later", (), {"now": staticmethod(lambda: app.updated_at + timedelta(minutes=2))})()
    resend(deps, app)
    assert len(ses_backends["123456789012"][REGION].sent_messages) == 2


def test_document_rules_and_presigned_upload(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="documents", CreateBucketConfiguration={"LocationConstraint": REGION})
    monkeypatch.setenv("DOCUMENTS_BUCKET", "documents")
    app_id = _submit()
    event = api_event(
        "POST",
        f"/applications/{app_id}/documents",
        resource="/applications/{id}/documents",
        path_params={"id": app_id},
        body={"type": "passport", "content_type": "application/pdf", "size": 2048},
    )
    reply = api(event, Context())
    assert reply["statusCode"] == 201, reply["body"]
    target = json.loads(reply["body"])
    assert target["fields"]["Content-Type"] == "application/pdf"
    policy = json.loads(__import__("base64").b64decode(target["fields"]["policy"]))
    assert ["content-length-range", 1, 2048] in policy["conditions"]  # S3 itself refuses a bigger file
    stored = [i for i in cloud.items() if i["sk"]["S"].startswith("DOC#")]
    assert stored[0]["status"]["S"] == "pending" and stored[0]["type"]["S"] == "passport"
    bad = api(
        api_event(
            "POST",
            f"/applications/{app_id}/documents",
            resource="/applications/{id}/documents",
            path_params={"id": app_id},
            body={"type": "x", "content_type": "text/plain", "size": 10**9},
        ),
        Context(),
    )
    assert bad["statusCode"] == 422
    assert {e["code"] for e in json.loads(bad["body"])["errors"]} == {"document_type", "content_type", "document_size"}
    stranger = api(
        api_event(
            "POST",
            f"/applications/{app_id}/documents",
            sub="citizen-2",
            resource="/applications/{id}/documents",
            path_params={"id": app_id},
            body={"type": "passport", "content_type": "application/pdf", "size": 10},
        ),
        Context(),
    )
    assert stranger["statusCode"] == 404
