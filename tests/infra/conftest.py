"""Synthesizes the CDK app once per session, the way the local cloud does, and shares the result.

A synth costs 10-15 s of jsii, so each context is synthesized once per session, and the two this
suite needs (no partners, two partners) run side by side as subprocesses. The subprocess runs the
real entry point (`CDK_OUTDIR=... CDK_CONTEXT_JSON=... python infra/app.py`, no CDK CLI), so the
tests also cover cdk.json's defaults, the context override and cdk-nag's validation plugin, which
fails the synth on any unacknowledged finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK = "TaxCabinetStack"
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Only some keys: the rest must come from cdk.json's defaults.
CONTEXT = {
    "idp_jwks_url": "https://idp.test/jwks.json",
    "idp_issuer": "https://idp.test/",
    "idp_audience": "tax-cabinet-test",
}
PARTNERS = ["111122223333", "444455556666"]


@dataclass
class Synth:
    """One running or finished synth of the app into `out_dir`."""

    out_dir: Path
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, out_dir: Path, context: dict[str, str]) -> Synth:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
        env.update({"CDK_OUTDIR": str(out_dir), "CDK_CONTEXT_JSON": json.dumps(context)})
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "infra" / "app.py")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return cls(out_dir, process)

    def result(self) -> Path:
        output, _ = self.process.communicate(timeout=300)
        if self.process.returncode != 0:
            pytest.fail(f"synth failed (exit {self.process.returncode}):\n{output[-6000:]}", pytrace=False)
        return self.out_dir

    def template(self) -> dict[str, Any]:
        return dict(json.loads((self.result() / f"{STACK}.template.json").read_text()))


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synth]]:
    if not (ROOT / ".build" / "layer" / "python").is_dir():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_layer.py")], cwd=ROOT, check=True)
    base = tmp_path_factory.mktemp("cdk")
    started = {
        "default": Synth.start(base / "default", CONTEXT),
        "partners": Synth.start(base / "partners", {**CONTEXT, "partner_account_ids": " , ".join(PARTNERS)}),
    }
    yield started
    for synth in started.values():
        if synth.process.poll() is None:
            synth.process.kill()
            synth.process.communicate()


@pytest.fixture(scope="session")
def assembly(synths: dict[str, Synth]) -> Path:
    return synths["default"].result()


@pytest.fixture(scope="session")
def template(synths: dict[str, Synth]) -> dict[str, Any]:
    return synths["default"].template()


@pytest.fixture(scope="session")
def partner_template(synths: dict[str, Synth]) -> dict[str, Any]:
    return synths["partners"].template()
