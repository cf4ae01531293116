"""HTTP adapter for the FNS registry (the same one talks to the local simulator and to FNS).

Standard library only, with a hard timeout: 5xx, 429 and timeouts become FnsUnavailable, which
the state machine retries with backoff; 404 is an answer (the INN is unknown), not a fault.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date

from shared.errors import FnsUnavailable
from shared.ports import FnsRecord


class HttpFnsRegistry:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("FNS_BASE_URL must be an http(s) URL")
        self._base = base_url.rstrip("/")
        self._timeout = timeout_seconds

    def lookup(self, inn: str) -> FnsRecord | None:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            f"{self._base}/taxpayers/lookup",
            data=json.dumps({"inn": inn}).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if error.code == 429 or error.code >= 500:
                raise FnsUnavailable(f"FNS answered {error.code}") from None
            raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise FnsUnavailable(f"FNS unreachable: {type(error).__name__}") from None
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
