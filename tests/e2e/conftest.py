"""Starts the local cloud (`python -m localcloud`, what `make dev` runs) once per test session."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests

from localcloud.process import running

CODE_TTL_SECONDS = 6  # the local cloud's contact-code lifetime in these tests (10 minutes by default)


@dataclass
class LocalCloud:
    base_url: str
    info: dict[str, Any] = field(default_factory=dict)
    startup_seconds: float = 0.0

    def token(self, sub: str, level: str = "confirmed", roles: list[str] | None = None) -> str:
        reply = requests.post(
            f"{self.base_url}/_local/token", json={"sub": sub, "level": level, "roles": roles or []}, timeout=10
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.info["aws_endpoint_url"],
            region_name=self.info["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def codes_sent_to(self, to: str) -> list[str]:
        messages = requests.get(f"{self.base_url}/_local/outbox", timeout=10).json()["messages"]
        return [m["text"] for m in messages if m["to"] == to]

    def latest_code(self, to: str, timeout: float = 10) -> str:
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.codes_sent_to(to)
            if texts:
                found = re.search(r"\b(\d{6})\b", texts[-1])
                assert found, texts[-1]
                return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no code was sent to {to}")

    def confirm(self, app_id: str, token: str, to: str) -> requests.Response:
        """Read the code from the outbox, as the citizen reads the SMS, and enter it."""
        return self.call("POST", f"/applications/{app_id}/confirmation", token, json={"code": self.latest_code(to)})

    def wait_for(self, app_id: str, token: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = self.call("GET", f"/applications/{app_id}", token).json()
            if view.get("status") in statuses:
                return view
            time.sleep(0.05)
        raise AssertionError(f"{app_id} did not reach {statuses}: {json.dumps(view, ensure_ascii=False)[:800]}")


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    log_path = tmp_path_factory.mktemp("local") / "local.log"
    with running(log_path, env={"LOCAL_CODE_TTL_SECONDS": str(CODE_TTL_SECONDS)}) as started:
        local = LocalCloud(started.base_url, startup_seconds=started.startup_seconds)
        local.info = requests.get(f"{local.base_url}/_local/info", timeout=5).json()
        yield local
