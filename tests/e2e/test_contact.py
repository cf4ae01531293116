"""Contact confirmation end to end: wrong codes, expiry and a new code, a corrected contact."""

from __future__ import annotations

import time

import pytest

from tests.support.identifiers import fresh_phone
from tests.support.local_cloud import CODE_TTL_SECONDS, LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")


def _submit(cloud: LocalCloud, sub: str) -> tuple[str, str, dict]:
    token = cloud.token(sub)
    body = new_taxpayer(cloud)
    reply = cloud.call("POST", "/applications", token, json=body)
    assert reply.status_code == 202, reply.text
    return reply.json()["application_id"], token, body


def test_wrong_code_five_times_then_locked(cloud: LocalCloud) -> None:
    app_id, token, body = _submit(cloud, "e2e-wrong-code")
    right = cloud.latest_code(body["phone"])
    wrong = "000000" if right != "000000" else "111111"
    left = []
    for _ in range(5):
        reply = cloud.call("POST", f"/applications/{app_id}/confirmation", token, json={"code": wrong})
        assert reply.status_code == 422 and reply.json()["code"] == "code_invalid"
        left.append(reply.json()["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    locked = cloud.call("POST", f"/applications/{app_id}/confirmation", token, json={"code": right})
    assert locked.status_code == 429 and locked.json()["code"] == "code_locked"
    too_soon = cloud.call("POST", f"/applications/{app_id}/confirmation/resend", token)
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) >= 1


def test_expired_code_needs_clarification_then_a_new_code_finishes_it(cloud: LocalCloud) -> None:
    app_id, token, body = _submit(cloud, "e2e-expired")
    view = cloud.wait_for(app_id, token, {"needs_clarification"}, timeout=CODE_TTL_SECONDS + 15)
    assert view["required_actions"][0]["code"] == "confirm_contact"
    assert "истёк" in view["required_actions"][0]["message"]
    sent = len(cloud.codes_sent_to(body["phone"]))
    resend = cloud.call("POST", f"/applications/{app_id}/confirmation/resend", token)
    if resend.status_code == 429:  # the first code is less than a minute old: wait as the citizen would
        time.sleep(int(resend.headers["Retry-After"]))
        resend = cloud.call("POST", f"/applications/{app_id}/confirmation/resend", token)
    assert resend.status_code == 202, resend.text
    assert len(cloud.codes_sent_to(body["phone"])) == sent + 1
    started = time.monotonic()
    assert cloud.confirm(app_id, token, body["phone"]).status_code == 200
    view = cloud.wait_for(app_id, token, {"ready"})
    print(f"\nnew code entered → ready in {time.monotonic() - started:.2f} s")


def test_corrected_phone_gets_the_code(cloud: LocalCloud) -> None:
    app_id, token, body = _submit(cloud, "e2e-new-phone")
    cloud.latest_code(body["phone"])  # the first code went to the old phone
    new_phone = fresh_phone()
    bad = cloud.call("PATCH", f"/applications/{app_id}/contacts", token, json={"phone": "+7 777 123 4567"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "phone_format"
    changed = cloud.call("PATCH", f"/applications/{app_id}/contacts", token, json={"phone": new_phone})
    assert changed.status_code == 200, changed.text
    started = time.monotonic()
    assert cloud.confirm(app_id, token, new_phone).status_code == 200
    cloud.wait_for(app_id, token, {"ready"})
    print(f"\ncode from the corrected phone → ready in {time.monotonic() - started:.2f} s")
    other = cloud.token("e2e-stranger")
    assert cloud.call("POST", f"/applications/{app_id}/confirmation", other, json={"code": "123456"}).status_code == 404
