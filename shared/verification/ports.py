"""The FNS registry as the verification steps see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class FnsRecord:
    inn: str
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    passport_series: str | None
    passport_number: str | None


@dataclass(frozen=True)
class InnQuery:
    """FNS "Узнать ИНН": surname, name, patronymic, birth date, passport (document type 21)."""

    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    passport_series: str
    passport_number: str
    issued_on: date


class FnsRegistry(Protocol):
    def lookup(self, inn: str) -> FnsRecord | None:
        """The registry's record for an INN, None if unknown; raises FnsUnavailable on a transient fault."""

    def submit_inn_request(self, query: InnQuery) -> str:
        """Ask FNS to find an INN by passport (asynchronous); returns the request id."""

    def poll_inn_request(self, request_id: str) -> tuple[str, str | None]:
        """(`working` | `found` | `not_found`, the INN when found)."""
