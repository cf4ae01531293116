"""The signed-XML channel against the local cloud: a valid document goes the submission path;
tampering, an untrusted or expired certificate and a malformed document get a clear answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from localcloud.test_ca import issue_citizen, signed_application
from tests.support.local_cloud import LocalCloud, new_taxpayer

pytestmark = pytest.mark.xdist_group("e2e")
XML = {"Content-Type": "application/xml"}


def _post(cloud: LocalCloud, token: str, document: bytes) -> tuple[int, dict]:
    reply = cloud.call("POST", "/applications/signed", token, data=document, headers=XML)
    return reply.status_code, reply.json()


def test_signed_application_reaches_ready_without_a_contact_code(cloud: LocalCloud) -> None:
    token = cloud.token("e2e-signer-1")
    body = new_taxpayer(cloud)
    body.pop("channel", None)
    status, view = _post(cloud, token, signed_application(body))
    assert status == 202, view
    assert view["channel"] == "signed_xml" and view["required_actions"] == []
    done = cloud.wait_for(view["application_id"], token, {"ready"})
    assert done["status"] == "ready"
    journal = cloud.call("GET", "/me/access-log", token).json()["items"]
    assert ("citizen", "create", view["application_id"]) in {
        (e["actor_role"], e["action"], e["resource_id"]) for e in journal
    }


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered", "signature_invalid"),
        ("rogue", "certificate_untrusted"),
        ("expired", "certificate_expired"),
        ("malformed", "xml_malformed"),
        ("unsigned", "signature_missing"),
        ("old", "signing_time_invalid"),
    ],
)
def test_refused_documents_say_why(cloud: LocalCloud, case: str, code: str) -> None:
    token = cloud.token("e2e-signer-2")
    body = new_taxpayer(cloud)
    body.pop("channel", None)
    if case == "tampered":
        document = signed_application(body).replace(b"<last>", b"<last>X", 1)  # a name changed after signing
    elif case in ("rogue", "expired"):
        kind: Literal["rogue", "expired"] = "rogue" if case == "rogue" else "expired"
        document = signed_application(body, issue_citizen(kind, snils=body["snils"]))
    elif case == "malformed":
        document = b"<Application><unclosed></Application>"
    elif case == "unsigned":
        document = signed_application(body).split(b"<ds:Signature")[0] + b"</Application>"
    else:
        document = signed_application(body, signed_at=datetime.now(UTC) - timedelta(days=30))
    status, problem = _post(cloud, token, document)
    assert status == 422, problem
    assert problem["code"] == code and problem["errors"][0]["code"] == code
    assert problem["errors"][0]["message"]  # in Russian, for the citizen
    assert body["snils"] not in str(problem) and body["inn"] not in str(problem)
    mine = cloud.call("GET", "/applications", token).json()["items"]
    assert mine == []  # nothing stored


def test_operators_do_not_sign_for_citizens(cloud: LocalCloud) -> None:
    operator = cloud.token("e2e-signer-operator", roles=["operator"])
    body = new_taxpayer(cloud)
    status, problem = _post(cloud, operator, signed_application(body))
    assert status == 403 and problem["code"] == "forbidden"
