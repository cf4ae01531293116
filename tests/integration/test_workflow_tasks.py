"""verify_inn / activate_cabinet / record_failure handlers over moto, with the FNS adapter
talking HTTP to a stub registry, and the optimistic lock under a real race."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from functions.activate_cabinet.handler import handler as activate
from functions.record_failure.handler import handler as record_failure
from functions.submit_application.handler import handler as api
from functions.verify_inn.handler import handler as verify
from shared import wiring
from shared.applications.lifecycle import advance
from shared.applications.models import Stage, Status
from shared.core import config
from shared.core.errors import ConcurrentUpdate, FnsUnavailable
from tests.integration.conftest import Cloud, Context, api_event
from tests.support.fakes import VALID_BODY
from tests.support.identifiers import inn12

REGISTRY: dict[str, Any] = {
    "500100732259": {
        "inn": "500100732259",
        "last_name": "ИВАНОВ",
        "first_name": "Иван",
        "middle_name": "Иванович",
        "birth_date": "1990-05-17",
        "passport": {"series": "4509", "number": "123456"},
    }
}


class _Registry(BaseHTTPRequestHandler):
    mode = "ok"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        inn = json.loads(self.rfile.read(length))["inn"]
        body: Any
        if _Registry.mode == "down":
            status, body = 503, {"code": "taxpayer.status.service.unavailable.error"}
        elif _Registry.mode == "limited":
            status, body = 429, {"code": "taxpayer.status.service.limited.error"}
        elif inn in REGISTRY:
            status, body = 200, REGISTRY[inn]
        else:
            status, body = 404, {"code": "taxpayer.not_found"}
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fns(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Registry]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("FNS_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/fns")
    config.reset()
    wiring.reset()
    _Registry.mode = "ok"
    yield _Registry
    server.shutdown()


def submitted(body: dict[str, Any] | None = None) -> str:
    response = api(api_event("POST", "/applications", body=body or VALID_BODY), Context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["application_id"])


def view(app_id: str) -> dict[str, Any]:
    event = api_event("GET", f"/applications/{app_id}", resource="/applications/{id}", path_params={"id": app_id})
    return dict(json.loads(api(event, Context())["body"]))


def task(app_id: str) -> dict[str, str]:
    return {"application_id": app_id, "correlation_id": "c-1"}


def test_match_activates_to_ready(fns: type[_Registry]) -> None:
    app_id = submitted()
    assert verify(task(app_id), Context()) == {"outcome": "match"}
    assert activate(task(app_id), Context()) == {"status": "ready"}
    assert activate(task(app_id), Context()) == {"status": "ready"}
    shown = view(app_id)
    assert shown["status"] == "ready" and shown["status_label"] == "Готов"
    assert [h["status"] for h in shown["history"]] == ["in_progress", "in_progress", "ready"]
    assert shown["expected_ready_at"] is None
    times = wiring.stage_statistics().stage_times()
    # measured for the estimates: the stage left at each change (no confirmation in this direct run)
    assert times["contact_confirmation"][0] == 1 and times["activation"][0] == 1


def test_unknown_inn_rejected_then_new_application_allowed(fns: type[_Registry]) -> None:
    inn = inn12("7700000077")
    app_id = submitted({**VALID_BODY, "inn": inn})
    assert verify(task(app_id), Context()) == {"outcome": "not_found"}
    shown = view(app_id)
    assert shown["status"] == "rejected"
    assert shown["rejection_reasons"][0]["code"] == "inn_not_found" and shown["rejection_reasons"][0]["fix"]
    assert submitted({**VALID_BODY, "inn": inn}) != app_id  # the INN is free again


def test_name_written_differently_is_still_a_match(fns: type[_Registry]) -> None:
    app_id = submitted({**VALID_BODY, "full_name": {"last": "иванов ", "first": "ИВАН", "middle": "Иванович"}})
    assert verify(task(app_id), Context()) == {"outcome": "match"}


def test_mismatch_records_what_differs(fns: type[_Registry]) -> None:
    app_id = submitted({**VALID_BODY, "birth_date": "1990-05-18"})
    assert verify(task(app_id), Context()) == {"outcome": "mismatch"}
    shown = view(app_id)
    assert shown["status"] == "needs_clarification"
    assert shown["required_actions"][0]["fields"] == ["birth_date"]


@pytest.mark.parametrize("mode", ["down", "limited"])
def test_fns_faults_raise_the_retryable_error(fns: type[_Registry], mode: str) -> None:
    app_id = submitted()
    fns.mode = mode
    with pytest.raises(FnsUnavailable):
        verify(task(app_id), Context())
    assert view(app_id)["status"] == "in_progress"


def test_unreachable_fns_is_retryable(cloud: Cloud) -> None:
    app_id = submitted()  # FNS_BASE_URL points at a closed port
    with pytest.raises(FnsUnavailable):
        verify(task(app_id), Context())


def test_record_failure_keeps_only_the_error_type(fns: type[_Registry]) -> None:
    app_id = submitted()
    event = {**task(app_id), "error": {"Error": "FnsUnavailable", "Cause": "ИНН 500100732259 ..."}}
    assert record_failure(event, Context()) == {"result": "recorded"}
    shown = view(app_id)
    assert shown["required_actions"][0]["code"] == "wait_review"
    assert "500100732259" not in json.dumps(shown, ensure_ascii=False)


def test_concurrent_status_change_loses_its_race_cleanly(fns: type[_Registry]) -> None:
    """Two writers read version 1; the first write wins, the second fails with nothing stored.

    (The writes are issued one after the other: moto's transactions are not thread-safe, and
    the optimistic lock does not depend on timing, only on both writers holding version 1.)
    """
    app_id = submitted()
    repo = wiring.repository()
    first_reader, second_reader = repo.get(app_id), repo.get(app_id)
    assert first_reader is not None and second_reader is not None
    advance(
        repo,
        wiring.stage_statistics(),
        first_reader,
        now=first_reader.updated_at,
        status=Status.READY,
        stage=Stage.COMPLETED,
        note="won",
    )
    with pytest.raises(ConcurrentUpdate):
        advance(
            repo,
            wiring.stage_statistics(),
            second_reader,
            now=second_reader.updated_at,
            status=Status.REJECTED,
            stage=Stage.COMPLETED,
            note="lost",
        )
    stored = repo.get(app_id)
    assert stored is not None and stored.version == 2 and stored.status is Status.READY
    assert [h.note for h in repo.history(app_id)][1:] == ["won"]
    # the loser's release of the INN lock did not happen either: the INN is still held
    response = api(api_event("POST", "/applications", body=VALID_BODY, sub="citizen-9"), Context())
    assert response["statusCode"] == 409
