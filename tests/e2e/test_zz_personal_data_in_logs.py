"""No INN, SNILS or passport number in the clear in any function's log after an end-to-end run.

Named to run last in the e2e group: it scans every log line the deployed functions wrote during
the whole session, after driving once more each path that handles personal data itself (portal
with a code, a mismatch with documents and an operator, partner, office, signed XML, a ticket, a
profile change), so it holds on its own too.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import requests

from localcloud.test_ca import signed_application
from shared.core import identifiers
from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")

SNILS_FORMATTED = re.compile(r"(?<!\d)\d{3}-\d{3}-\d{3}[ -]\d{2}(?!\d)")
DIGIT_RUNS = re.compile(r"(?<!\d)\d{11,12}(?!\d)")


def _drive_every_path(cloud: LocalCloud) -> list[dict]:
    bodies = []
    citizen = cloud.token("e2e-logs-citizen")
    portal = new_taxpayer(cloud)
    app_id = cloud.call("POST", "/applications", citizen, json=portal).json()["application_id"]
    assert cloud.confirm(app_id, citizen, portal["phone"]).status_code == 200
    cloud.wait_for(app_id, citizen, {"ready"})
    bodies.append(portal)

    operator = cloud.token("e2e-logs-operator", roles=["operator"])
    office = {**new_taxpayer(cloud), "channel": "office"}
    office_id = cloud.call("POST", "/applications", operator, json=office).json()["application_id"]
    cloud.wait_for(office_id, operator, {"ready"})
    bodies.append(office)
    owner = cloud.token("e2e-logs-office-citizen", person={"snils": office["snils"], "trusted": True})
    assert cloud.call("GET", "/applications", owner).status_code == 200
    change = {"changes": {"birth_date": "1990-05-18"}}
    assert cloud.call("POST", "/profile/change-requests", owner, json=change).status_code == 201

    signer = cloud.token("e2e-logs-signer")
    signed = new_taxpayer(cloud)
    signed.pop("channel", None)
    reply = cloud.call(
        "POST",
        "/applications/signed",
        signer,
        data=signed_application(signed),
        headers={"Content-Type": "application/xml"},
    )
    assert reply.status_code == 202, reply.text
    bodies.append(signed)

    partner = new_taxpayer(cloud)
    message = {"partner_id": "partner-1", "request_id": f"logs-{uuid.uuid4()}", "application": partner}
    cloud.aws("sqs").send_message(QueueUrl=cloud.info["intake_queue_url"], MessageBody=json.dumps(message))
    bodies.append(partner)
    bad = {**new_taxpayer(cloud), "inn": partner["inn"][:-1] + str((int(partner["inn"][-1]) + 1) % 10)}
    assert cloud.call("POST", "/applications", citizen, json=bad).status_code == 422  # a typo is logged as a code

    ticket = {
        "inn": portal["inn"],
        "full_name": portal["full_name"],
        "phone": portal["phone"],
        "description": "Не приходит код подтверждения на телефон",
    }
    assert cloud.call("POST", "/support/tickets", citizen, json=ticket).status_code == 201
    return bodies


def _in_the_clear(text: str) -> set[str]:
    found = set(SNILS_FORMATTED.findall(text))
    for run in DIGIT_RUNS.findall(text):
        if len(run) == 12 and identifiers.inn_error(run) is None:
            found.add(run)  # a valid personal INN
        if len(run) == 11 and identifiers.snils_error(run) is None:
            found.add(run)  # a valid SNILS without separators
    return found


def test_no_personal_identifier_in_any_log(cloud: LocalCloud) -> None:
    bodies = _drive_every_path(cloud)
    requests.post(f"{cloud.base_url}/_local/schedules/run", timeout=60)  # the sweeps log too
    logs = sorted(Path(cloud.info["logs_dir"]).glob("*.log"))
    assert len(logs) >= 6, "the functions wrote their logs where /_local/info says"
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "application_id" in text and "correlation_id" in text  # the logs are really there
    assert not _in_the_clear(text)
    for body in bodies:
        for secret in (body["inn"], body["snils"], body["passport"]["number"]):
            assert secret not in text, "a submitted identifier reached a log"
