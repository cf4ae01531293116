"""What the fuzzing suite (tests/suites/test_fuzz.py) needs: a local cloud, seeded callers, the
schema as schemathesis loads it, and a tally of what was sent and what came back.

The suite fuzzes the committed docs/openapi.json (servers aside: the local cloud serves the API at
its root) against a running local cloud, every operation, with valid tokens: a confirmed citizen
(with an identity-provider record, so prefill has something to say) and, on `/operator/...`, an
operator. Ids in paths are drawn both at random and from real resources the citizen owns (an
application that reached `ready`, one waiting for its contact code, a ticket, a change request),
so the handlers behind a found id are fuzzed too, not only their 404.

    FUZZ_EXAMPLES=3     examples per operation and generation mode (3: the quick form in `make test`;
                        `make suite-fuzz`: 100)
    FUZZ_RANDOM=1       random cases (`make suite-fuzz`); unset: deterministic, the same cases each run
    FUZZ_BASE_URL=...   fuzz a running local cloud (`make dev`) instead of starting one
    FUZZ_SUMMARY=...    where the tally is written (default .local/fuzz/summary.json)

Besides the generated cases, schemathesis's coverage phase sends boundary values and each path's
undeclared methods (the local gateway answers them 405 problem+json).

`python -m tests.suites.fuzz_support` prints the last tally as a table.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from localcloud.process import running, wait_healthy
from tests.support.local_cloud import LocalCloud, application_body, register_taxpayer

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
SUMMARY = Path(os.environ.get("FUZZ_SUMMARY") or ROOT / ".local" / "fuzz" / "summary.json")
TOKEN_REFRESH_SECONDS = 20 * 60  # local tokens live an hour; a full run can be longer

# What "outside the document" means: every response's status is documented for its operation,
# its content type is the documented one, its body and headers match the documented schemas; and
# no 5xx at all. Plus: invalid input is refused with a 4xx, and a secured route without a token
# answers 401.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "ignored_auth",
)


@contextmanager
def local_cloud(log_path: Path) -> Iterator[str]:
    """A local cloud of its own (`python -m localcloud`), or the one FUZZ_BASE_URL names; its base URL."""
    given = os.environ.get("FUZZ_BASE_URL")
    if given:
        wait_healthy(given.rstrip("/"), log_path)
        yield given.rstrip("/")
        return
    with running(log_path) as started:
        yield started.base_url


PERSON: dict[str, Any] = {
    "snils": "112-233-445 95",
    "birth_date": "1990-05-17",
    "email": "fuzz@example.ru",
    "phone": "+79160000000",
    "full_name": {"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
    "address": {"text": "г. Москва, ул. Тверская, д. 1, кв. 1", "fias_id": None},
}


@dataclass
class Ids:
    """Real ids the fuzzing citizen owns, by the paths they fit (filled by `Callers.seed`)."""

    applications: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def for_path(self, path: str) -> list[str]:
        if "{id}" not in path:
            return []
        if path.startswith(("/applications/", "/operator/applications/")):
            return self.applications
        if "/tickets/" in path:
            return self.tickets
        if "/change-requests/" in path:
            return self.changes
        return []


@dataclass
class Callers:
    """Tokens for the fuzzed calls (a confirmed citizen; an operator on `/operator/...`)."""

    base_url: str
    ids: Ids
    citizen_sub: str = field(default_factory=lambda: f"fuzz-citizen-{uuid.uuid4().hex[:8]}")
    operator_sub: str = field(default_factory=lambda: f"fuzz-operator-{uuid.uuid4().hex[:8]}")
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, role: str) -> str:
        with self._lock:
            cached = self._tokens.get(role)
            if cached and time.monotonic() - cached[0] < TOKEN_REFRESH_SECONDS:
                return cached[1]
            if role == "operator":
                token = self._cloud.token(self.operator_sub, roles=["operator"])
            else:
                token = self._cloud.token(self.citizen_sub, person=PERSON)
            self._tokens[role] = (time.monotonic(), token)
            return token

    def headers_for(self, path: str) -> dict[str, str]:
        role = "operator" if path.startswith("/operator/") else "citizen"
        return {"Authorization": f"Bearer {self.token(role)}"}

    # -- seeding: real resources for the id routes -------------------------------------------

    @property
    def _cloud(self) -> LocalCloud:
        return LocalCloud(self.base_url)

    def _call(self, method: str, path: str, role: str = "citizen", **kwargs: Any) -> requests.Response:
        return self._cloud.call(method, path, self.token(role), **kwargs)

    def _application_body(self) -> dict[str, Any]:
        """An application of the fuzzing citizen (PERSON, a phone of its own), its taxpayer registered."""
        body = application_body(**{k: v for k, v in PERSON.items() if k != "phone"})
        register_taxpayer(self._cloud, body)
        return body

    def seed(self) -> None:
        """An application taken to `ready` (so profile changes are possible), a second one of
        another taxpayer waiting for its code, a ticket and a change request."""
        body = self._application_body()
        reply = self._call("POST", "/applications", json=body)
        assert reply.status_code == 202, reply.text
        ready_id = reply.json()["application_id"]
        code = self._cloud.latest_code(body["phone"], timeout=15)
        assert self._call("POST", f"/applications/{ready_id}/confirmation", json={"code": code}).status_code == 200
        deadline = time.monotonic() + 60
        while self._call("GET", f"/applications/{ready_id}").json().get("status") != "ready":
            assert time.monotonic() < deadline, f"{ready_id} did not reach ready"
            time.sleep(0.1)
        self.ids.applications.append(ready_id)
        # the second application would be a duplicate for the same INN: another taxpayer
        waiting = self._call("POST", "/applications", json=self._application_body())
        assert waiting.status_code == 202, waiting.text
        self.ids.applications.append(waiting.json()["application_id"])
        ticket = self._call(
            "POST",
            "/support/tickets",
            json={
                "inn": body["inn"],
                "full_name": body["full_name"],
                "phone": body["phone"],
                "description": "Не приходит код подтверждения, хотя номер указан верно.",
                "application_id": ready_id,
            },
        )
        assert ticket.status_code == 201, ticket.text
        self.ids.tickets.append(ticket.json()["ticket_id"])
        change = self._call("POST", "/profile/change-requests", json={"changes": {"phone": "+79161234567"}})
        assert change.status_code == 201, change.text
        self.ids.changes.append(change.json()["request_id"])


@dataclass
class Tally:
    """Requests sent and answers received, per operation; failures as schemathesis words them."""

    calls: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, label: str, status: int) -> None:
        with self._lock:
            self.calls[label] += 1
            self.statuses.setdefault(label, Counter())[str(status)] += 1

    def fail(self, label: str, error: BaseException, status: int) -> None:
        """One line per distinct failure: schemathesis's failure code and title, and the status."""
        found = getattr(error, "exceptions", None) or (error,)
        lines = []
        for failure in found:
            title = getattr(failure, "title", None) or type(failure).__name__
            message = " ".join(str(getattr(failure, "message", "") or failure).split())[:200]
            lines.append(f"{getattr(failure, 'code', '')} {title} (HTTP {status}): {message}".strip())
        with self._lock:
            known = self.failures.setdefault(label, [])
            known.extend(line for line in lines if line not in known)

    def summary(self, operations: int, examples: int) -> dict[str, Any]:
        server_errors = sum(n for c in self.statuses.values() for s, n in c.items() if s.startswith("5"))
        return {
            "operations": operations,
            "operations_called": len(self.calls),
            "max_examples_per_operation_and_mode": examples,
            "requests": sum(self.calls.values()),
            "server_errors": server_errors,
            "distinct_failures": sum(len(v) for v in self.failures.values()),
            "seconds": round(time.monotonic() - self.started, 1),
            "checks": list(CHECKS),
            "per_operation": {
                label: {"requests": self.calls[label], "statuses": dict(sorted(self.statuses[label].items()))}
                for label in sorted(self.calls)
            },
            "failures": self.failures,
        }

    def write(self, operations: int, examples: int) -> dict[str, Any]:
        data = self.summary(operations, examples)
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        SUMMARY.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return data


def operations_in(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, ops in document["paths"].items() for method in ops]


def load_schema(ids: Ids, examples: int, deterministic: bool) -> Any:
    """The committed document as schemathesis sees it, with real ids (once seeded) mixed into the
    `{id}` parameters. No base URL yet: each call names the local cloud's."""
    import schemathesis
    from hypothesis import strategies as st

    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # valid requests, and invalid ones (which must answer a 4xx)
                "max-examples": examples,
                "deterministic": deterministic,
                # The token is ours (each call sets the caller's); `ignored_auth` covers a missing or bad one.
                "with-security-parameters": False,
                # Unknown query parameters and headers are ignored, as API Gateway and HTTP do: the document
                # lists what the API reads, it does not forbid the rest.
                "allow-extra-parameters": False,
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "request-timeout": 60,
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)

    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        real = ids.for_path(context.operation.path) if context.operation is not None else []
        if not real or not isinstance(path_parameters, dict) or "id" not in path_parameters:
            return st.just(path_parameters)
        return st.sampled_from([path_parameters, *({**path_parameters, "id": i} for i in real)])

    schema.hooks.register_hook_with_name(flatmap_path_parameters, "flatmap_path_parameters")
    return schema


def print_summary(path: Path = SUMMARY) -> int:
    if not path.exists():
        print(f"no fuzz summary at {path}", file=sys.stderr)
        return 1
    data = json.loads(path.read_text(encoding="utf-8"))
    print(f"\nschemathesis against {DOCUMENT.relative_to(ROOT)} and the local cloud ({data['seconds']} s)")
    print(f"{'operation':52} {'requests':>8}  statuses")
    for label, row in data["per_operation"].items():
        statuses = ", ".join(f"{s}×{n}" for s, n in row["statuses"].items())
        print(f"{label:52} {row['requests']:>8}  {statuses}")
    print(
        f"\noperations {data['operations_called']}/{data['operations']}, requests {data['requests']} "
        f"(≤{data['max_examples_per_operation_and_mode']} examples per operation and mode, plus schemathesis's "
        f"coverage cases), server errors (5xx) {data['server_errors']}, distinct failures {data['distinct_failures']}"
    )
    print(f"checks: {', '.join(data['checks'])}")
    for label, texts in data["failures"].items():
        for text in texts:
            print(f"  FAIL {label}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(print_summary())
