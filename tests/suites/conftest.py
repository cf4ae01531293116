"""The reliability and security suites (issue 5): they run against the e2e tests' local cloud.

Size: `SUITE_SCALE=full` (what `make suite-delivery`, `make suite-faults`, `make suite-access` run)
or the default quick form that `make test` runs. Each suite prints its figures (run with `-s`).

One local cloud per session. The `cloud` fixture is the e2e one (tests/e2e/conftest.py), imported
here so that `pytest tests/suites` works on its own. Imported into a second conftest, pytest would
register it twice and a session that collects both folders (`make test`) would start two local
clouds; `pytest_collection_modifyitems` below points the suites' tests at the e2e tests'
definition when both are collected, so they share its one instance per worker. The
`xdist_group("e2e")` marker was meant to keep them on one xdist worker, but pytest 9.2 no longer
reads the `_nodeid` that xdist 3.8 rewrites for it, so each of `make test`'s workers may start its
own cloud (they share nothing: every test makes its own taxpayers and tokens). Without that
private pytest attribute the suites would still pass, each folder on its own cloud.
"""

from __future__ import annotations

import copy
import os
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import conftest as _e2e
from tests.e2e.conftest import LocalCloud
from tests.support.fakes import VALID_BODY
from tests.unit.test_identifiers import _inn12

SUITES = Path(__file__).resolve().parent
E2E = SUITES.parent / "e2e"
FULL = os.environ.get("SUITE_SCALE", "quick").lower() == "full"

cloud = _e2e.cloud  # the session fixture, registered here too (see above)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def cloud_defs(item: pytest.Item) -> dict[str, Any] | None:
        info = getattr(item, "_fixtureinfo", None)
        defs = getattr(info, "name2fixturedefs", None)
        return defs if isinstance(defs, dict) and "cloud" in defs else None

    shared = next(
        (d["cloud"] for i in items if (d := cloud_defs(i)) and Path(str(i.path)).is_relative_to(E2E)),
        None,
    )
    if shared is None:
        return
    for item in items:
        if (defs := cloud_defs(item)) is not None and Path(str(item.path)).is_relative_to(SUITES):
            defs["cloud"] = shared


def scale(quick: int, full: int) -> int:
    """The suite's size: `SUITE_SCALE=full` or the quick form run by `make test`."""
    return full if FULL else quick


def report(title: str, figures: dict[str, Any]) -> None:
    """The suite's figures, printed (visible with `pytest -s`)."""
    width = max(len(k) for k in figures)
    lines = [f"  {k:<{width}}  {v}" for k, v in figures.items()]
    print(f"\n== {title} ({'full' if FULL else 'quick'}) ==\n" + "\n".join(lines), flush=True)


_rng = random.Random()
_issued: set[str] = set()


def fresh_inn(region: str = "77") -> str:
    """A valid 12-digit INN no other test of this session uses (the one-active-application rule)."""
    while True:
        inn = _inn12(f"{region}{_rng.randrange(10**8):08d}")
        if inn not in _issued:
            _issued.add(inn)
            return inn


def fresh_snils() -> str:
    """A valid SNILS of nobody else: a citizen signing in with a SNILS claims the partner and office
    applications that carry it, so the suites never reuse the fixtures' SNILS."""
    while True:
        number = f"{_rng.randrange(2_000_000, 10**9):09d}"
        total = sum(int(d) * (9 - i) for i, d in enumerate(number))
        snils = f"{number[0:3]}-{number[3:6]}-{number[6:9]} {total % 101 % 100:02d}"
        if snils not in _issued:
            _issued.add(snils)
            return snils


def fresh_phone() -> str:
    while True:
        phone = f"+7916{_rng.randrange(10**7):07d}"
        if phone not in _issued:
            _issued.add(phone)
            return phone


def application_body(**overrides: Any) -> dict[str, Any]:
    """A valid application body with its own INN, SNILS, phone and passport number."""
    body = copy.deepcopy(VALID_BODY)
    body.update(
        inn=fresh_inn(),
        snils=fresh_snils(),
        phone=fresh_phone(),
        full_name={"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
        passport={**body["passport"], "number": f"{_rng.randrange(10**6):06d}"},
    )
    body.update(overrides)
    return body


def register_taxpayer(cloud: LocalCloud, body: dict[str, Any], **overrides: Any) -> None:
    """Tell the FNS simulator about the applicant of `body` (overrides make it differ)."""
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


def run_id() -> str:
    return uuid.uuid4().hex[:10]


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
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
