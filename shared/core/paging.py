"""One page of a longer list, for every store that pages (applications, tickets, journal, changes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """`next_token` is opaque to callers: None on the last page, else what asks for the next one."""

    items: list[T] = field(default_factory=list)
    next_token: str | None = None
