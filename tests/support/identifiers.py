"""Valid identifiers made up for a test: computed here by hand, independently of
`shared.core.identifiers`, so the identifier tests can use them as their oracle."""

from __future__ import annotations

import random
from collections.abc import Callable

_rng = random.Random()
_issued: set[str] = set()


def inn12(first10: str) -> str:
    """The citizen's 12-digit INN that starts with `first10` (its two check digits appended)."""
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d11 = sum(int(d) * w for d, w in zip(first10, w11, strict=True)) % 11 % 10
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    first11 = first10 + str(d11)
    d12 = sum(int(d) * w for d, w in zip(first11, w12, strict=True)) % 11 % 10
    return first11 + str(d12)


def fresh_inn(region: str = "77") -> str:
    """A valid 12-digit INN of `region` no other caller in this process got (one active application
    per INN: tests that share a local cloud must not share INNs)."""
    return _fresh(lambda: inn12(f"{region}{_rng.randrange(10**8):08d}"))


def fresh_snils() -> str:
    """A valid SNILS (`ddd-ddd-ddd cc`) of nobody else: a citizen signing in with a SNILS claims the
    partner and office applications that carry it, so tests never share one."""

    def make() -> str:
        number = f"{_rng.randrange(2_000_000, 10**9):09d}"  # the check number applies above 001-001-998
        total = sum(int(d) * (9 - i) for i, d in enumerate(number))
        return f"{number[0:3]}-{number[3:6]}-{number[6:9]} {total % 101 % 100:02d}"

    return _fresh(make)


def fresh_phone() -> str:
    """A mobile number of nobody else: each test reads its own codes from the local cloud's outbox."""
    return _fresh(lambda: f"+7916{_rng.randrange(10**7):07d}")


def fresh_passport_number() -> str:
    """Six digits; the INN lookup by passport matches on them, so they are not shared either."""
    return _fresh(lambda: f"{_rng.randrange(10**6):06d}")


def _fresh(make: Callable[[], str]) -> str:
    while True:
        value = make()
        if value not in _issued:
            _issued.add(value)
            return value
