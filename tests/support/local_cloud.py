"""The local cloud (`python -m localcloud`, what `make dev` runs) as tests/e2e and tests/suites see
it: a small HTTP client with its `/_local` routes, how one is started, and the builders of applicants
the FNS simulator knows. The session fixture `cloud` (tests/conftest.py) starts one per process."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from localcloud.process import running
from tests.support.fakes import VALID_BODY
from tests.support.identifiers import fresh_inn, fresh_passport_number, fresh_phone, fresh_snils

CODE_TTL_SECONDS = 6  # the local cloud's contact-code lifetime in these tests (10 minutes by default)


@dataclass
class LocalCloud:
    base_url: str
    info: dict[str, Any] = field(default_factory=dict)
    startup_seconds: float = 0.0

    def token(
        self, sub: str, level: str = "confirmed", roles: list[str] | None = None, person: dict[str, Any] | None = None
    ) -> str:
        """A token of the local identity provider; `person` is what its userinfo then says of `sub`."""
        request: dict[str, Any] = {"sub": sub, "level": level, "roles": roles or []}
        if person is not None:
            request["person"] = person
        reply = requests.post(f"{self.base_url}/_local/token", json=request, timeout=10)
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

    def sent_to(self, to: str, timeout: float = 10) -> list[str]:
        """The texts the outbox holds for `to`, once there is one (messages leave asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.codes_sent_to(to)
            if texts:
                return texts
            time.sleep(0.05)
        raise AssertionError(f"nothing was sent to {to}")

    def latest_code(self, to: str, timeout: float = 10) -> str:
        """The six-digit code of the last message to `to`, as the citizen reads it."""
        text = self.sent_to(to, timeout)[-1]
        found = re.search(r"\b(\d{6})\b", text)
        assert found, text
        return found.group(1)

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


@contextmanager
def started(log_path: Path) -> Iterator[LocalCloud]:
    """A local cloud of this process's own for the `with` block, its log in `log_path`."""
    with running(log_path, env={"LOCAL_CODE_TTL_SECONDS": str(CODE_TTL_SECONDS)}) as process:
        local = LocalCloud(process.base_url, startup_seconds=process.startup_seconds)
        local.info = requests.get(f"{local.base_url}/_local/info", timeout=5).json()
        yield local


# --- applicants ------------------------------------------------------------------------------


def application_body(**overrides: Any) -> dict[str, Any]:
    """The sample body with an INN, SNILS, phone and passport number of its own (Соколова Ольга
    Ивановна), so that tests sharing one local cloud never meet each other's applications."""
    body = copy.deepcopy(VALID_BODY)
    body.update(
        inn=fresh_inn(),
        snils=fresh_snils(),
        phone=fresh_phone(),
        full_name={"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
        passport={**body["passport"], "number": fresh_passport_number()},
    )
    body.update(overrides)
    return body


def register_taxpayer(cloud: LocalCloud, body: dict[str, Any], **overrides: Any) -> None:
    """Tell the FNS simulator about the applicant of `body` (overrides make the registry differ)."""
    record = {
        "inn": body["inn"],
        "last_name": body["full_name"]["last"],
        "first_name": body["full_name"]["first"],
        "middle_name": body["full_name"].get("middle"),
        "birth_date": body["birth_date"],
        "passport": {"series": body["passport"]["series"].replace(" ", ""), "number": body["passport"]["number"]},
        **overrides,
    }
    reply = cloud.call("POST", "/_local/fns/taxpayers", json=record)
    assert reply.status_code == 201, reply.text


def new_taxpayer(cloud: LocalCloud, **registry: Any) -> dict[str, Any]:
    """A fresh `application_body()` whose taxpayer the FNS simulator knows (`registry` overrides
    what the registry says, e.g. `last_name=` for a mismatch)."""
    body = application_body()
    register_taxpayer(cloud, body, **registry)
    return body


# --- reading the cloud's state -----------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def scan(cloud: LocalCloud, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of the applications table that matches (a consistent, paginated scan)."""
    ddb = cloud.aws("dynamodb")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": cloud.info["table_name"], "ConsistentRead": True, **kwargs}
    while True:
        page = ddb.scan(**request)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get_items(cloud: LocalCloud, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Items of the applications table by (pk, sk), read consistently, 100 keys a call."""
    ddb = cloud.aws("dynamodb")
    table = cloud.info["table_name"]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(0, len(keys), 100):
        request = {
            table: {"Keys": [{"pk": {"S": p}, "sk": {"S": s}} for p, s in keys[i : i + 100]], "ConsistentRead": True}
        }
        while request:
            reply = ddb.batch_get_item(RequestItems=request)
            for item in reply["Responses"].get(table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            request = reply.get("UnprocessedKeys") or {}
    return found
