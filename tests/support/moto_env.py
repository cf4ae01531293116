"""The environment of a moto-backed test: fake credentials in one region, no endpoint override."""

from __future__ import annotations

import pytest

REGION = "eu-west-1"


def use_moto_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials moto accepts and one region; a local cloud's `AWS_ENDPOINT_URL` must not leak in."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
