"""HTTP adapter for the FNS registry (the same one talks to the local simulator and to FNS).

Standard library only, with a hard timeout: 5xx, 429 (FNS's rate limit, its captcha demand) and
timeouts become FnsUnavailable, which the state machine retries with backoff; 404 is an answer
(the INN is unknown), not a fault.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from typing import Any

from shared.core.errors import FnsUnavailable
from shared.core.metrics import emit
from shared.verification.ports import FnsRecord, InnQuery


class HttpFnsRegistry:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("FNS_BASE_URL must be an http(s) URL")
        self._base = base_url.rstrip("/")
        self._timeout = timeout_seconds

    def _call(self, method: str, path: str, payload: dict[str, object] | None = None) -> dict[str, Any] | None:
        """The JSON answer; None for 404; FnsUnavailable for what a retry may fix."""
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            f"{self._base}{path}",
            data=json.dumps(payload).encode() if payload is not None else None,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                emit("FnsCalls", result="ok")  # "not found" is an answer
                return None
            if error.code == 429 or error.code >= 500:
                emit("FnsCalls", result="fault")
                raise FnsUnavailable(f"FNS answered {error.code}") from None
            raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            emit("FnsCalls", result="fault")
            raise FnsUnavailable(f"FNS unreachable: {type(error).__name__}") from None
        emit("FnsCalls", result="ok")
        return body if isinstance(body, dict) else {}

    def lookup(self, inn: str) -> FnsRecord | None:
        body = self._call("POST", "/taxpayers/lookup", {"inn": inn})
        if body is None:
            return None
        passport = body.get("passport") or {}
        return FnsRecord(
            inn=body["inn"],
            last_name=body["last_name"],
            first_name=body["first_name"],
            middle_name=body.get("middle_name"),
            birth_date=date.fromisoformat(body["birth_date"]),
            passport_series=passport.get("series"),
            passport_number=passport.get("number"),
        )

    def submit_inn_request(self, query: InnQuery) -> str:
        body = self._call(
            "POST",
            "/inn-requests",
            {
                "last_name": query.last_name,
                "first_name": query.first_name,
                "middle_name": query.middle_name,
                "birth_date": query.birth_date.isoformat(),
                "document_type": 21,  # the Russian passport
                "passport_number": f"{query.passport_series} {query.passport_number}",
                "issued_on": query.issued_on.isoformat(),
            },
        )
        if not body or "request_id" not in body:
            raise FnsUnavailable("FNS gave no request id")
        return str(body["request_id"])

    def poll_inn_request(self, request_id: str) -> tuple[str, str | None]:
        body = self._call("GET", f"/inn-requests/{request_id}")
        if body is None:
            return "not_found", None
        state = str(body.get("state", "working"))
        if state not in ("working", "found", "not_found"):
            return "working", None
        return state, body.get("inn")
