"""Unit tests run without a network: pytest-socket refuses every socket they open, so a test that
reaches AWS, the identity provider or the FNS by mistake fails at once instead of hanging or passing
by luck. The few that serve a fake on this machine are listed below, each with its reason, and may
connect to 127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# Test module (relative to tests/unit) -> why it needs the loopback.
LOOPBACK_ONLY = {
    "test_authorizer.py": "the authorizer fetches its JWKS over HTTP from a fake key server on 127.0.0.1",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every unit test `disable_socket`, or `allow_hosts(127.0.0.1)` where listed above; a
    test's own socket marker wins."""
    for item in items:
        path = Path(item.path).resolve()
        if HERE not in path.parents:
            continue
        if any(item.get_closest_marker(name) for name in ("enable_socket", "disable_socket", "allow_hosts")):
            continue
        if path.relative_to(HERE).as_posix() in LOOPBACK_ONLY:
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1"]))
        else:
            item.add_marker(pytest.mark.disable_socket)
