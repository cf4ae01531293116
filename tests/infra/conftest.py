"""Synthesizes the CDK app once per session, the way the local cloud does, and shares the result.

A synth costs 10-15 s of jsii, so it runs once, as a subprocess started when the session starts:
tests that need no template (the layer, the code folders, cdk-nag's canary, the partner queue
policy built in-process) run meanwhile. The subprocess runs the real entry point
(`CDK_OUTDIR=... CDK_CONTEXT_JSON=... python infra/app.py`, no CDK CLI), so the tests also cover
cdk.json's defaults, the context override and cdk-nag's validation plugin, which fails the synth
on any unacknowledged finding.
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
    "signed_xml_trust_store": "localcloud/test_ca/ca.pem",
}


@dataclass
class Synth:
    """One running or finished synth of the app into `out_dir`."""

    out_dir: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, out_dir: Path, context: dict[str, str]) -> Synth:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
        env.update({"CDK_OUTDIR": str(out_dir), "CDK_CONTEXT_JSON": json.dumps(context)})
        with out_dir.with_suffix(".log").open("w") as log:  # a file: a full pipe would stall the synth
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "infra" / "app.py")], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        return cls(out_dir, process)

    def result(self) -> Path:
        if self.process.wait(timeout=300) != 0:
            output = self.out_dir.with_suffix(".log").read_text()
            pytest.fail(f"synth failed (exit {self.process.returncode}):\n{output[-6000:]}", pytrace=False)
        return self.out_dir

    def template(self) -> dict[str, Any]:
        return dict(json.loads((self.result() / f"{STACK}.template.json").read_text()))


@pytest.fixture(scope="session", autouse=True)
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    """Starts the synth at once (building the layer first if `make layer` has not run)."""
    if not (ROOT / ".build" / "layer" / "python").is_dir():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_layer.py")], cwd=ROOT, check=True)
    started = Synth.start(tmp_path_factory.mktemp("cdk") / "assembly", CONTEXT)
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait()


@pytest.fixture(scope="session")
def assembly(synth: Synth) -> Path:
    return synth.result()


@pytest.fixture(scope="session")
def template(synth: Synth) -> dict[str, Any]:
    return synth.template()
