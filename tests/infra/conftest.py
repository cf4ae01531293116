"""Synthesizes the CDK app once per session, with cdk-nag's checks as on every synth."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from infra.packaging import LAYER_DIR, ROOT

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def synth(context: dict[str, str] | None = None) -> dict[str, Any]:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.app import build

    app = App(
        context={
            "idp_jwks_url": "https://idp.test/jwks.json",
            "idp_issuer": "https://idp.test/",
            "fns_base_url": "https://fns.test/api",
            "idp_userinfo_url": "https://idp.test/userinfo",
            **(context or {}),
        }
    )
    stack = build(app)
    app.synth()  # runs the cdk-nag validation plugin: raises on an unacknowledged finding
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    if not (LAYER_DIR / "python").is_dir():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_layer.py")], check=True)
    return synth()
