"""Ports that several subdomains share: time, keyed hashes, messages to people, workflow callbacks
and file uploads. Adapters in `shared/adapters/` implement them; tests implement them in memory
(tests/support/fakes.py). Each subdomain's own stores are declared in its own `ports.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class KeyedHasher(Protocol):
    def digest(self, value: str) -> str:
        """A keyed hash (HMAC) of a personal identifier, safe to use as a lookup key."""


class Notifier(Protocol):
    def send_sms(self, phone: str, text: str) -> None: ...

    def send_email(self, to: str, subject: str, text: str) -> None: ...


class TaskCallbacks(Protocol):
    def succeed(self, task_token: str, output: dict[str, object]) -> None:
        """Resume a workflow that waits on `task_token`."""


class DocumentStore(Protocol):
    """The files themselves (a bucket); their records live with what they belong to."""

    def presign_upload(self, key: str, content_type: str, size: int, expires_seconds: int) -> dict[str, object]:
        """`{url, fields}`: a presigned POST that accepts exactly this content type and at most `size` bytes."""

    def presign_download(self, key: str, expires_seconds: int) -> str: ...
