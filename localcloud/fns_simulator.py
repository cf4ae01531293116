"""The FNS registry simulator, reached over HTTP by the real adapter (shared/adapters/http/fns.py).

Wire format: docs/architecture.md ("FNS simulator wire format"); seed: localcloud/fns_seed.json
(localcloud/FNS_SIMULATOR.md). Faults are injected with `POST /faults {error_rate, latency_ms}`:
a faulty answer is a 503 with FNS's own error code, so the workflow's retries can be watched.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from stdnum.ru import inn as stdnum_inn

SEED = Path(__file__).resolve().parent / "fns_seed.json"
_FIELDS = ("inn", "last_name", "first_name", "middle_name", "birth_date", "passport")

Reply = tuple[int, dict[str, Any]]


class FnsSimulator:
    def __init__(self, seed: Path | None = SEED, rng: random.Random | None = None) -> None:
        self._records: dict[str, dict[str, Any]] = {}
        self._inn_requests: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._rng = rng or random.Random()  # noqa: S311 (fault injection, not security)
        self.error_rate = 0.0
        self.latency_ms = 0
        if seed is not None:
            for record in json.loads(seed.read_text())["taxpayers"]:
                self.add(record)

    def add(self, record: Any) -> dict[str, Any]:
        if not isinstance(record, dict):
            raise ValueError("a taxpayer is a JSON object")
        inn = str(record.get("inn", ""))
        if not stdnum_inn.is_valid(inn) or len(inn) != 12:
            raise ValueError("inn: a valid 12-digit INN is required")
        for name in ("last_name", "first_name", "birth_date"):
            if not isinstance(record.get(name), str) or not record[name].strip():
                raise ValueError(f"{name}: required")
        passport = record.get("passport") or {}
        if not isinstance(passport, dict):
            raise ValueError("passport: {series, number}")
        clean = {k: record.get(k) for k in _FIELDS}
        clean["passport"] = {"series": str(passport.get("series", "")), "number": str(passport.get("number", ""))}
        with self._lock:
            self._records[inn] = clean
        return clean

    def set_faults(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError("faults: {error_rate, latency_ms}")
        rate, latency = float(body.get("error_rate", 0)), int(body.get("latency_ms", 0))
        if not 0 <= rate <= 1 or not 0 <= latency <= 60_000:
            raise ValueError("error_rate in [0, 1], latency_ms in [0, 60000]")
        self.error_rate, self.latency_ms = rate, latency
        return {"error_rate": rate, "latency_ms": latency}

    def lookup(self, body: Any) -> Reply:
        if self._faulty():
            return 503, {"code": "taxpayer.status.service.unavailable.error"}
        inn = body.get("inn") if isinstance(body, dict) else None
        if not isinstance(inn, str):
            return 422, {"code": "validation.failed", "message": "inn is required"}
        with self._lock:
            record = self._records.get(inn)
        return (200, record) if record else (404, {"code": "taxpayer.not_found"})

    def submit_inn_request(self, body: Any) -> Reply:
        """ "Узнать ИНН": find a taxpayer by surname, birth date and passport; answered on a later poll."""
        if self._faulty():
            return 503, {"code": "taxpayer.status.service.unavailable.error"}
        if not isinstance(body, dict) or not body.get("passport_number") or not body.get("birth_date"):
            return 422, {"code": "validation.failed", "message": "passport_number and birth_date are required"}
        series_number = str(body["passport_number"]).replace(" ", "")
        surname = str(body.get("last_name", "")).casefold().replace("ё", "е")
        with self._lock:
            match = next(
                (
                    r["inn"]
                    for r in self._records.values()
                    if (r["passport"]["series"] + r["passport"]["number"]) == series_number
                    and r["birth_date"] == body["birth_date"]
                    and str(r["last_name"]).casefold().replace("ё", "е") == surname
                ),
                None,
            )
            request_id = uuid.uuid4().hex
            self._inn_requests[request_id] = {"inn": match, "polls": 0}
        return 202, {"request_id": request_id}

    def poll_inn_request(self, request_id: str) -> Reply:
        if self._faulty():
            return 503, {"code": "taxpayer.status.service.unavailable.error"}
        with self._lock:
            request = self._inn_requests.get(request_id)
            if request is None:
                return 404, {"code": "request.not_found"}
            request["polls"] += 1
            if request["polls"] < 2:  # FNS answers asynchronously: the first poll finds it still working
                return 200, {"state": "working"}
        return 200, {"state": "found", "inn": request["inn"]} if request["inn"] else {"state": "not_found"}

    def _faulty(self) -> bool:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        return bool(self.error_rate) and self._rng.random() < self.error_rate

    def handle(self, method: str, path: str, body: Any) -> Reply:
        """Route a request under the simulator's base path (`/taxpayers/lookup`, ...)."""
        try:
            if method == "POST" and path == "/taxpayers/lookup":
                return self.lookup(body)
            if method == "POST" and path == "/taxpayers":
                return 201, self.add(body)
            if method == "POST" and path == "/inn-requests":
                return self.submit_inn_request(body)
            if method == "GET" and path.startswith("/inn-requests/"):
                return self.poll_inn_request(path.removeprefix("/inn-requests/"))
            if method == "POST" and path == "/faults":
                return 200, self.set_faults(body)
            if method == "GET" and path == "/faults":
                return 200, {"error_rate": self.error_rate, "latency_ms": self.latency_ms}
        except (ValueError, TypeError) as error:
            return 422, {"code": "validation.failed", "message": str(error)}
        return 404, {"code": "not_found"}
