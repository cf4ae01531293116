"""The local cloud the bench starts itself (`python -m localcloud` on a free port, by
localcloud/process.py as the e2e tests do), stops at the end, and the synthetic taxpayers it feeds it."""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config
from stdnum.ru import inn as stdnum_inn

from localcloud.process import free_port, running

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".local" / "bench"

# The application body of docs/api.md; INN, passport number and phone are made fresh per applicant.
BODY: dict[str, Any] = {
    "inn": "500100732259",
    "snils": "112-233-445 95",
    "birth_date": "1990-05-17",
    "email": "ivanov@example.ru",
    "phone": "+79123456789",
    "full_name": {"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
    "passport": {"series": "4509", "number": "123456", "issued_on": "2015-06-01", "division_code": "770-001"},
    "address": {"text": "г. Москва, ул. Тверская, д. 1, кв. 1", "fias_id": None},
    "workplace": None,
}


def python() -> str:
    """The project's own interpreter (`.venv`), the one `make bench` runs."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else os.environ.get("PYTHON", "python3")


def inn12(d10: str) -> str:
    """A valid 12-digit personal INN from 10 digits (the two check digits appended)."""
    return d10 + stdnum_inn.calc_personal_check_digits(d10)


def applicant() -> tuple[dict[str, Any], dict[str, Any]]:
    """(FNS registry record, application body) of a fresh taxpayer the registry knows: a match."""
    inn = inn12(f"77{uuid.uuid4().int % 10**8:08d}")
    passport = f"{uuid.uuid4().int % 10**6:06d}"
    record = {
        "inn": inn,
        "last_name": "Соколова",
        "first_name": "Ольга",
        "middle_name": "Ивановна",
        "birth_date": "1990-05-17",
        "passport": {"series": "4509", "number": passport},
    }
    body = json.loads(json.dumps(BODY))
    body.update(inn=inn, phone=f"+7916{uuid.uuid4().int % 10**7:07d}")
    body["passport"]["number"] = passport
    return record, body


class LocalCloud:
    """`python -m localcloud` in a subprocess; `LOCAL_CALL_COUNTS` makes its Lambda workers count
    their AWS calls (localcloud/worker.py) into `counts_dir`."""

    def __init__(self, name: str, count_calls: bool = True, command: list[str] | None = None) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.counts_dir = STATE / f"counts-{name}-{self.port}"
        self.count_calls = count_calls
        self.info: dict[str, Any] = {}
        self.startup_seconds = 0.0
        self.log_path = STATE / f"localcloud-{name}-{self.port}.log"
        self.http = requests.Session()
        self.command = command or [python(), "-m", "localcloud"]
        self._stack = ExitStack()

    def __enter__(self) -> LocalCloud:
        env = {}
        if self.count_calls:
            self.counts_dir.mkdir(parents=True, exist_ok=True)
            env["LOCAL_CALL_COUNTS"] = str(self.counts_dir)
        started = self._stack.enter_context(running(self.log_path, env=env, command=self.command, port=self.port))
        self.startup_seconds = started.startup_seconds
        try:
            self.info = self.http.get(f"{self.base_url}/_local/info", timeout=5).json()
        except BaseException:
            self._stack.close()  # __exit__ is not called when __enter__ raises
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def aws(self, service: str, pool: int = 10) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.info["aws_endpoint_url"],
            region_name=self.info["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (moto takes any)
            config=Config(max_pool_connections=pool, read_timeout=300, retries={"max_attempts": 0}),
        )

    def token(self, sub: str, roles: list[str] | None = None) -> str:
        reply = self.http.post(
            f"{self.base_url}/_local/token", json={"sub": sub, "level": "confirmed", "roles": roles or []}, timeout=10
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    def add_taxpayers(self, records: list[dict[str, Any]]) -> None:
        def add(record: dict[str, Any]) -> None:
            reply = requests.post(f"{self.base_url}/_local/fns/taxpayers", json=record, timeout=30)
            assert reply.status_code == 201, reply.text

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(add, records))

    def log_bytes(self) -> int:
        """Bytes the functions have logged so far (what CloudWatch Logs would ingest)."""
        logs = Path(self.info["logs_dir"])
        return sum(p.stat().st_size for p in logs.glob("*.log")) if logs.exists() else 0

    def counts(self) -> dict[str, dict[str, Any]]:
        """Every worker's cumulative counters, by worker file."""
        out = {}
        for path in self.counts_dir.glob("*.json"):
            try:
                out[path.name] = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):  # being replaced right now: read it again
                time.sleep(0.01)
                out[path.name] = json.loads(path.read_text())
        return out
