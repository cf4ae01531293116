"""Name mismatch → documents through the presigned upload → the operator decides."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")


def _mismatched(cloud: LocalCloud, sub: str) -> tuple[str, str, dict]:
    token = cloud.token(sub)
    body = new_taxpayer(cloud, last_name="Новикова")  # the registry knows her maiden name
    app_id = cloud.call("POST", "/applications", token, json=body).json()["application_id"]
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"needs_clarification"})
    return app_id, token, view


def _upload(cloud: LocalCloud, app_id: str, token: str, kind: str) -> None:
    content = b"%PDF-1.4 synthetic test document"
    reply = cloud.call(
        "POST",
        f"/applications/{app_id}/documents",
        token,
        json={"type": kind, "content_type": "application/pdf", "size": len(content)},
    )
    assert reply.status_code == 201, reply.text
    target = reply.json()
    posted = requests.post(
        target["upload_url"], data=target["fields"], files={"file": ("doc.pdf", content, "application/pdf")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text


def _review_item(cloud: LocalCloud, operator: str, app_id: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = cloud.call("GET", "/operator/applications?queue=review", operator).json()["items"]
        found = [i for i in items if i["application_id"] == app_id]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the application never reached the review queue")


def _decide(cloud: LocalCloud, app_id: str, decision: str, reason: str) -> tuple[dict, float]:
    operator = cloud.token("e2e-operator-7", roles=["operator"])
    item = _review_item(cloud, operator, app_id)
    assert item["mismatches"] == ["full_name"]
    assert sorted(d["type"] for d in item["documents"]) == ["marriage_certificate", "passport"]
    document = requests.get(item["documents"][0]["download_url"], timeout=10)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    started = time.monotonic()
    reply = cloud.call(
        "POST", f"/operator/applications/{app_id}/decision", operator, json={"decision": decision, "reason": reason}
    )
    assert reply.status_code == 200, reply.text
    return reply.json(), started


def test_documents_then_operator_approves(cloud: LocalCloud) -> None:
    app_id, token, view = _mismatched(cloud, "e2e-review-approve")
    asked = next(a for a in view["required_actions"] if a["code"] == "upload_documents")["documents"]
    bad = cloud.call(
        "POST",
        f"/applications/{app_id}/documents",
        token,
        json={"type": "selfie", "content_type": "text/html", "size": 0},
    )
    assert bad.status_code == 422 and {e["code"] for e in bad.json()["errors"]} == {
        "document_type",
        "content_type",
        "document_size",
    }
    for kind in asked:
        _upload(cloud, app_id, token, kind)
    citizen_sees = cloud.wait_for(app_id, token, {"in_progress"})
    assert citizen_sees["required_actions"][0]["code"] == "wait_review"
    assert citizen_sees["expected_ready_at"] is not None
    _, started = _decide(cloud, app_id, "approve", "Фамилия сменена при браке, документы в порядке")
    view = cloud.wait_for(app_id, token, {"ready"})
    print(f"\noperator approved → ready in {time.monotonic() - started:.2f} s")
    assert any("Одобрено сотрудником" in h["note"] for h in view["history"])


def test_operator_rejects_with_the_reason(cloud: LocalCloud) -> None:
    app_id, token, view = _mismatched(cloud, "e2e-review-reject")
    for kind in next(a for a in view["required_actions"] if a["code"] == "upload_documents")["documents"]:
        _upload(cloud, app_id, token, kind)
    citizen = cloud.token("e2e-review-reject")
    assert cloud.call("GET", "/operator/applications?queue=review", citizen).status_code == 403
    _, started = _decide(cloud, app_id, "reject", "Свидетельство о браке не относится к заявителю")
    view = cloud.wait_for(app_id, token, {"rejected"})
    print(f"\noperator rejected → rejected in {time.monotonic() - started:.2f} s")
    (reason,) = view["rejection_reasons"]
    assert reason["code"] == "operator_rejected"
    assert reason["message"] == "Свидетельство о браке не относится к заявителю" and reason["fix"]
