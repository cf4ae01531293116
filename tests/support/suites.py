"""The reliability suites' size and figures: `SUITE_SCALE=full` (what `make suite-delivery`,
`make suite-faults`, `make suite-access` run) or the default quick form that `make test` runs."""

from __future__ import annotations

import os
import uuid
from typing import Any

FULL = os.environ.get("SUITE_SCALE", "quick").lower() == "full"


def scale(quick: int, full: int) -> int:
    """The suite's size: `SUITE_SCALE=full` or the quick form run by `make test`."""
    return full if FULL else quick


def report(title: str, figures: dict[str, Any]) -> None:
    """The suite's figures, printed (visible with `pytest -s`)."""
    width = max(len(k) for k in figures)
    lines = [f"  {k:<{width}}  {v}" for k, v in figures.items()]
    print(f"\n== {title} ({'full' if FULL else 'quick'}) ==\n" + "\n".join(lines), flush=True)


def run_id() -> str:
    """A short id of one suite run: its partner id carries it, so runs on one local cloud stay apart."""
    return uuid.uuid4().hex[:10]
