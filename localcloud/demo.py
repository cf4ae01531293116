"""`make demo`: drive a realistic mix of applications through a running local cloud.

Each scenario acts as its person would (a citizen reads the SMS code from the outbox, an operator
decides a review) and the summary shows where each application ended and how long the last
human action took to reach it. Start the service first (`make dev`). It goes where `make dev`
listens: `DEMO_URL` if set, else `http://127.0.0.1:$PORT` (so `PORT=3300 make demo` follows
`PORT=3300 make dev`), else `http://127.0.0.1:3000`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

# The same default port as `python -m localcloud` (PORT), so one variable moves both.
BASE = os.environ.get("DEMO_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or '3000'}"


def _inn12(d10: str) -> str:
    from stdnum.ru.inn import calc_personal_check_digits

    return d10 + calc_personal_check_digits(d10)


def _call(method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{BASE}{path}", headers=headers, timeout=30, **kwargs)


def _token(sub: str, roles: list[str] | None = None) -> str:
    reply = _call("POST", "/_local/token", json={"sub": sub, "level": "confirmed", "roles": roles or []})
    return str(reply.json()["access_token"])


def _code(phone: str) -> str:
    for _ in range(200):
        texts = [m["text"] for m in _call("GET", "/_local/outbox").json()["messages"] if m["to"] == phone]
        if texts and (found := re.search(r"\b(\d{6})\b", texts[-1])):
            return found.group(1)
        time.sleep(0.05)
    raise RuntimeError(f"no code reached {phone}")


def _wait(app_id: str, token: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = _call("GET", f"/applications/{app_id}", token).json()
        if view.get("status") in statuses:
            return view
        time.sleep(0.05)
    return view


def _person(surname: str = "Демова", registry_surname: str | None = None, with_inn: bool = True) -> dict[str, Any]:
    inn = _inn12(f"77{uuid.uuid4().int % 10**8:08d}")
    number = f"{uuid.uuid4().int % 10**6:06d}"
    _call(
        "POST",
        "/_local/fns/taxpayers",
        json={
            "inn": inn,
            "last_name": registry_surname or surname,
            "first_name": "Мария",
            "middle_name": "Петровна",
            "birth_date": "1988-03-14",
            "passport": {"series": "4510", "number": number},
        },
    )
    body = {
        "inn": inn,
        "snils": "112-233-445 95",
        "birth_date": "1988-03-14",
        "email": "demo@example.ru",
        "phone": f"+7916{uuid.uuid4().int % 10**7:07d}",
        "full_name": {"last": surname, "first": "Мария", "middle": "Петровна"},
        "passport": {"series": "4510", "number": number, "issued_on": "2008-04-01", "division_code": "770-002"},
        "address": {"text": "г. Москва, ул. Лесная, д. 5, кв. 12", "fias_id": None},
        "channel": "portal",
    }
    if not with_inn:
        body.pop("inn")
    return body


def _apply(sub: str, body: dict[str, Any]) -> tuple[str, str, float]:
    token = _token(sub)
    reply = _call("POST", "/applications", token, json=body)
    reply.raise_for_status()
    app_id = reply.json()["application_id"]
    _call("POST", f"/applications/{app_id}/confirmation", token, json={"code": _code(body["phone"])})
    return app_id, token, time.monotonic()


def portal_ready() -> tuple[str, float]:
    app_id, token, at = _apply("demo-ready", _person())
    return _wait(app_id, token, {"ready", "rejected"})["status"], time.monotonic() - at


def typo_in_inn() -> tuple[str, float]:
    body = _person()
    body["inn"] = body["inn"][:-1] + str((int(body["inn"][-1]) + 1) % 10)
    started = time.monotonic()
    reply = _call("POST", "/applications", _token("demo-typo"), json=body)
    errors = reply.json().get("errors", [])
    hint = f" (suggested: {errors[0].get('suggestions')})" if errors else ""
    return f"{reply.status_code} {errors[0]['code'] if errors else ''}{hint}", time.monotonic() - started


def unknown_inn() -> tuple[str, float]:
    body = _person()
    body["inn"] = _inn12(f"78{uuid.uuid4().int % 10**8:08d}")
    app_id, token, at = _apply("demo-unknown", body)
    view = _wait(app_id, token, {"rejected", "ready"})
    return (
        f"{view['status']} ({view['rejection_reasons'][0]['code'] if view['rejection_reasons'] else '-'})",
        time.monotonic() - at,
    )


def no_inn_found_by_passport() -> tuple[str, float]:
    app_id, token, at = _apply("demo-no-inn", _person(with_inn=False))
    return _wait(app_id, token, {"ready", "needs_clarification", "rejected"})["status"], time.monotonic() - at


def name_changed_by_marriage() -> tuple[str, float]:
    app_id, token, _ = _apply("demo-married", _person(surname="Демова", registry_surname="Девичья"))
    view = _wait(app_id, token, {"needs_clarification"})
    for kind in next(a for a in view["required_actions"] if a["code"] == "upload_documents")["documents"]:
        target = _call(
            "POST",
            f"/applications/{app_id}/documents",
            token,
            json={"type": kind, "content_type": "application/pdf", "size": 20},
        ).json()
        requests.post(
            target["upload_url"],
            data=target["fields"],
            timeout=30,
            files={"file": ("scan.pdf", b"%PDF-1.4 demo scan..", "application/pdf")},
        )
    operator = _token("demo-operator", ["operator"])
    _wait(app_id, token, {"in_progress"})
    at = time.monotonic()
    _call(
        "POST",
        f"/operator/applications/{app_id}/decision",
        operator,
        json={"decision": "approve", "reason": "Фамилия сменена при браке: свидетельство проверено"},
    )
    return _wait(app_id, token, {"ready", "rejected"})["status"], time.monotonic() - at


def partner_bank() -> tuple[str, float]:
    import boto3

    info = _call("GET", "/_local/info").json()
    body = _person()
    body["channel"] = "partner"
    sqs = boto3.client(
        "sqs",
        endpoint_url=info["aws_endpoint_url"],
        region_name=info["region"],
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106 (the local cloud takes any credentials)
    )
    message = json.dumps(
        {"partner_id": "partner-1", "request_id": str(uuid.uuid4()), "application": body}, ensure_ascii=False
    )
    at = time.monotonic()
    for _ in range(2):  # a partner's retry: still one application
        sqs.send_message(QueueUrl=info["intake_queue_url"], MessageBody=message)
    operator = _token("demo-operator", ["operator"])
    items: list[dict[str, Any]] = []
    for _ in range(600):
        items = _call("GET", f"/operator/applications?inn={body['inn']}", operator).json()["items"]
        if items and items[0]["status"] == "ready":
            break
        time.sleep(0.05)
    took = time.monotonic() - at
    outcomes = _outcomes(sqs, info["outcome_queue_url"], items[0]["application_id"] if items else "")
    summary = f"{items[0]['status'] if items else 'missing'} ({len(items)} application; outcomes {'→'.join(outcomes)})"
    return summary, took


def _outcomes(sqs: Any, queue_url: str, application_id: str) -> list[str]:
    """The partner's outcome messages for this application, in version order (docs/events.md)."""
    found: dict[int, str] = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "ready" not in found.values():
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in reply.get("Messages", []):
            detail = json.loads(message["Body"])
            if detail.get("application_id") == application_id:
                found[int(detail.get("application_version", len(found)))] = detail["status"]
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [found[v] for v in sorted(found)]


def office_application() -> tuple[str, float]:
    """An operator keys in a paper application; the citizen with that SNILS then finds it."""
    operator = _token("demo-operator", ["operator"])
    from shared.core.identifiers import format_snils, snils_checksum

    body = _person()
    digits = f"{2_000_000 + uuid.uuid4().int % 997_000_000:09d}"  # a SNILS of its own: claims only this one
    body.update(channel="office", snils=format_snils(digits + f"{snils_checksum(digits):02d}"))
    at = time.monotonic()
    app_id = _call("POST", "/applications", operator, json=body).json()["application_id"]
    for _ in range(600):
        if _call("GET", f"/applications/{app_id}", operator).json()["status"] == "ready":
            break
        time.sleep(0.05)
    took = time.monotonic() - at
    person = {"snils": body["snils"], "trusted": True}
    citizen = _call("POST", "/_local/token", json={"sub": f"demo-{app_id[:8]}", "person": person}).json()
    mine = _call("GET", "/applications", citizen["access_token"]).json()["items"]
    return f"ready; the citizen sees {len(mine)} application", took


SCENARIOS: list[tuple[str, Callable[[], tuple[str, float]]]] = [
    ("portal: code entered → ready", portal_ready),
    ("typo in the INN", typo_in_inn),
    ("INN not in the registry", unknown_inn),
    ("no INN: found by passport", no_inn_found_by_passport),
    ("name changed by marriage: documents, review", name_changed_by_marriage),
    ("partner bank, message sent twice", partner_bank),
    ("tax office: operator keys it in", office_application),
]


def main() -> int:
    try:
        requests.get(f"{BASE}/health", timeout=3).raise_for_status()
    except requests.RequestException:
        print(
            f"No local cloud at {BASE}: start it with `make dev` first "
            "(`PORT=<port> make demo` or `DEMO_URL=<url> make demo` for another address).",
            file=sys.stderr,
        )
        return 1
    print(f"{'scenario':<46} {'outcome':<44} last human action → outcome")
    for name, scenario in SCENARIOS:
        outcome, seconds = scenario()
        print(f"{name:<46} {outcome:<44} {seconds:6.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
