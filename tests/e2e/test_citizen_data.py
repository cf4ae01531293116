"""Office applications, the access journal and profile changes, against the local cloud."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")


def _wait_ready(cloud: LocalCloud, app_id: str, token: str) -> dict[str, Any]:
    return cloud.wait_for(app_id, token, {"ready"})


def _office_application(cloud: LocalCloud, operator: str) -> tuple[str, dict[str, Any]]:
    body = new_taxpayer(cloud)
    body["channel"] = "office"  # its SNILS is its own: nobody else claims it
    reply = cloud.call("POST", "/applications", operator, json=body)
    assert reply.status_code == 202, reply.text
    view = reply.json()
    assert view["channel"] == "office" and view["submitted_by_operator"] == "e2e-office-operator"
    assert view["required_actions"] == []  # the operator identified the citizen: no contact code
    return view["application_id"], body


def test_office_application_reaches_its_citizen_by_snils(cloud: LocalCloud) -> None:
    operator = cloud.token("e2e-office-operator", roles=["operator"])
    app_id, body = _office_application(cloud, operator)
    _wait_ready(cloud, app_id, operator)

    stranger = cloud.token("e2e-stranger", person={"snils": body["snils"], "trusted": False})
    assert cloud.call("GET", f"/applications/{app_id}", stranger).status_code == 404
    assert cloud.call("GET", "/applications", stranger).json()["items"] == []

    citizen = cloud.token(f"e2e-citizen-{app_id[:8]}", person={"snils": body["snils"], "trusted": True})
    listed = cloud.call("GET", "/applications", citizen).json()["items"]
    assert [i["application_id"] for i in listed] == [app_id]
    view = cloud.call("GET", f"/applications/{app_id}", citizen).json()
    assert view["status"] == "ready" and "сотрудником" in view["history"][0]["note"]
    assert cloud.call("GET", f"/applications/{app_id}", stranger).status_code == 404  # still not theirs

    journal = cloud.call("GET", "/me/access-log", citizen).json()
    seen = {(e["actor_role"], e["action"], e["resource"]) for e in journal["items"]}
    assert ("operator", "create", "application") in seen  # recorded before the citizen ever signed in
    assert ("operator", "read", "application") in seen
    assert ("citizen", "read", "application") in seen
    stamps = [e["at"] for e in journal["items"]]
    assert stamps == sorted(stamps, reverse=True)
    text = str(journal)
    for secret in (body["inn"], body["snils"], body["passport"]["number"], body["full_name"]["last"]):
        assert secret not in text


def test_access_log_pages_and_is_only_mine(cloud: LocalCloud) -> None:
    operator = cloud.token("e2e-office-operator", roles=["operator"])
    app_id, body = _office_application(cloud, operator)
    citizen = cloud.token(f"e2e-pager-{app_id[:8]}", person={"snils": body["snils"], "trusted": True})
    for _ in range(3):
        assert cloud.call("GET", f"/applications/{app_id}", citizen).status_code == 200
    seen, token, pages = [], None, 0
    while True:
        query = "/me/access-log?limit=2" + (f"&next_token={token}" if token else "")
        page = cloud.call("GET", query, citizen).json()
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        pages += 1
        token = page["next_token"]
        if not token:
            break
    assert pages >= 3 and len(seen) >= 5
    assert len({(e["at"], e["action"], e["actor_role"]) for e in seen}) == len(seen)  # no entry twice
    other = cloud.token("e2e-nobody")
    assert cloud.call("GET", "/me/access-log", other).json()["items"] == []
    assert cloud.call("GET", "/me/access-log?next_token=bm9wZQ", other).status_code == 400


def _upload(target: dict[str, Any]) -> None:
    content = b"%PDF-1.4 synthetic registration certificate"
    posted = requests.post(
        target["upload_url"], data=target["fields"], files={"file": ("doc.pdf", content, "application/pdf")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text


def _wait_change(cloud: LocalCloud, request_id: str, token: str, status: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = cloud.call("GET", f"/profile/change-requests/{request_id}", token).json()
        if view["status"] == status:
            return view
        time.sleep(0.1)
    raise AssertionError(f"change request never reached {status}")


def test_profile_change_needs_its_document_then_an_operator(cloud: LocalCloud) -> None:
    operator = cloud.token("e2e-office-operator", roles=["operator"])
    app_id, body = _office_application(cloud, operator)
    _wait_ready(cloud, app_id, operator)
    citizen = cloud.token(f"e2e-mover-{app_id[:8]}", person={"snils": body["snils"], "trusted": True})
    assert cloud.call("GET", "/applications", citizen).status_code == 200  # claims the office application

    new_address = {"text": "г. Казань, ул. Баумана, д. 5, кв. 7", "fias_id": None}
    reply = cloud.call("POST", "/profile/change-requests", citizen, json={"changes": {"address": new_address}})
    assert reply.status_code == 201, reply.text
    request = reply.json()
    assert request["status"] == "awaiting_documents"
    assert request["required_documents"] == ["registration_certificate"]
    assert request["missing_documents"] == ["registration_certificate"]
    request_id = request["request_id"]

    too_early = cloud.call(
        "POST",
        f"/operator/change-requests/{request_id}/decision",
        operator,
        json={"decision": "approve", "reason": "Проверено"},
    )
    assert too_early.status_code == 409 and too_early.json()["code"] == "documents_missing"
    someone = cloud.token("e2e-someone-else")
    assert cloud.call("GET", f"/profile/change-requests/{request_id}", someone).status_code == 404
    assert cloud.call("GET", "/operator/change-requests", citizen).status_code == 403

    upload = cloud.call(
        "POST",
        f"/profile/change-requests/{request_id}/documents",
        citizen,
        json={"type": "registration_certificate", "content_type": "application/pdf", "size": 44},
    )
    assert upload.status_code == 201, upload.text
    _upload(upload.json())
    in_review = _wait_change(cloud, request_id, citizen, "in_review")
    assert in_review["missing_documents"] == [] and in_review["verification_due_at"]

    queue = cloud.call("GET", "/operator/change-requests?status=in_review", operator).json()["items"]
    item = next(i for i in queue if i["request_id"] == request_id)
    assert requests.get(item["documents"][0]["download_url"], timeout=10).content.startswith(b"%PDF")
    decided = cloud.call(
        "POST",
        f"/operator/change-requests/{request_id}/decision",
        operator,
        json={"decision": "approve", "reason": "Свидетельство о регистрации проверено"},
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    view = cloud.call("GET", f"/applications/{app_id}", citizen).json()
    assert re.search(r"Изменены данные \(адрес\)", view["history"][-1]["note"])

    rejected = cloud.call("POST", "/profile/change-requests", citizen, json={"changes": {"phone": "8 (912) 000-11-22"}})
    assert rejected.status_code == 201 and rejected.json()["status"] == "in_review"  # a phone needs no document
    settled = cloud.call(
        "POST",
        f"/operator/change-requests/{rejected.json()['request_id']}/decision",
        operator,
        json={"decision": "reject", "reason": "Номер не принадлежит заявителю"},
    ).json()
    assert settled["status"] == "rejected" and settled["reason"] and settled["fix"]


def test_profile_change_refused_without_a_cabinet_or_with_bad_values(cloud: LocalCloud) -> None:
    newcomer = cloud.token("e2e-no-cabinet")
    reply = cloud.call("POST", "/profile/change-requests", newcomer, json={"changes": {"phone": "+79120001122"}})
    assert reply.status_code == 409 and reply.json()["code"] == "profile_not_found"
    bad = cloud.call("POST", "/profile/change-requests", newcomer, json={"changes": {"phone": "12", "eye_colour": 1}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"changes.phone", "changes.eye_colour"}
