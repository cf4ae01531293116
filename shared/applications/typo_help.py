"""Typo help for identifiers that fail their checksum.

A checksum failure is almost always one mistyped digit or two neighbours swapped. The valid
numbers within that distance are offered when there are at most three of them: they are
candidates for the citizen to compare with the document, never a correction made for them.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_SUGGESTIONS = 3


def _neighbours(digits: str) -> set[str]:
    found = set()
    for i, current in enumerate(digits):
        for d in "0123456789":
            if d != current:
                found.add(digits[:i] + d + digits[i + 1 :])
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            found.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    return found


def suggestions(digits: str, is_valid: Callable[[str], bool]) -> list[str]:
    candidates = sorted(c for c in _neighbours(digits) if is_valid(c))
    return candidates if len(candidates) <= MAX_SUGGESTIONS else []


def inn_suggestions(value: str) -> list[str]:
    from shared.core.identifiers import inn_error

    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return []
    return suggestions(value, lambda c: inn_error(c) is None)


def snils_suggestions(value: str) -> list[str]:
    from shared.core.identifiers import format_snils, snils_digits, snils_error

    digits = snils_digits(value)
    if digits is None:
        return []
    return [format_snils(c) for c in suggestions(digits, lambda c: snils_error(c) is None)]
