"""The synth's inputs and its gate: the dependency layer, the function code folders, cdk-nag."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from infra import packaging
from infra.packaging import function_asset
from scripts import build_layer
from tests.infra.conftest import ROOT, Synth
from tests.infra.template_tools import as_list, of_type, one

pytestmark = pytest.mark.xdist_group("infra")

PARTNERS = ["111122223333", "444455556666"]
FOLDERS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "handler.py").is_file())


def _elf(path: Path, machine: int) -> None:
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[18:20] = machine.to_bytes(2, "little")
    path.write_bytes(bytes(header))


def test_layer_holds_lambda_platform_wheels() -> None:
    """The session's `synth` fixture has made sure the layer exists; its native code must load on
    arm64 Lambda."""
    site = build_layer.OUT / "python"
    assert build_layer.check_platform(site) == []
    assert (site / "pydantic_core").is_dir() and list((site / "pydantic_core").glob("*aarch64*.so"))
    assert not (site / "boto3").exists(), "boto3 is the Lambda runtime's own"
    assert list(site.glob("email_validator-*.dist-info")), "pydantic reads its version from dist-info"


def test_layer_check_refuses_host_wheels(tmp_path: Path) -> None:
    (tmp_path / "pydantic_core").mkdir()
    _elf(
        tmp_path
        / "pydantic_core"
        / f"_pydantic_core.cpython-{build_layer.PYTHON_VERSION.replace('.', '')}-aarch64-linux-gnu.so",
        183,
    )
    assert build_layer.check_platform(tmp_path) == []
    _elf(tmp_path / "host.cpython-311-x86_64-linux-gnu.so", 62)
    assert build_layer.check_platform(tmp_path) == ["host.cpython-311-x86_64-linux-gnu.so"]


def test_layer_stamp_follows_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = build_layer.digest()
    monkeypatch.setattr(build_layer, "PYTHON_VERSION", "9.99")
    assert build_layer.digest() != digest


def test_pip_for_the_layer_ignores_the_hosts_wheel_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/constraints.txt")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "60")
    env = build_layer._pip_env()
    assert "PIP_FIND_LINKS" not in env and "PIP_CONSTRAINT" not in env
    assert env["PIP_DEFAULT_TIMEOUT"] == "60" and env["PIP_CONFIG_FILE"] == os.devnull


@pytest.mark.parametrize("folder", FOLDERS)
def test_function_asset_holds_shared_and_its_own_folder_only(folder: str) -> None:
    asset = Path(function_asset(folder))
    assert sorted(p.name for p in asset.iterdir()) == ["functions", "shared"]
    assert sorted(p.name for p in (asset / "functions").iterdir()) == ["__init__.py", folder]
    assert (asset / "functions" / folder / "handler.py").is_file()
    assert (asset / "shared" / "__init__.py").is_file()
    assert not [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert function_asset(folder) == str(asset), "same content, same folder"


def test_cdk_nag_fails_the_synth_on_an_unacknowledged_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate the stack passes must be able to fail: an unencrypted queue, no acknowledgement."""
    from aws_cdk import App, Stack, Validations
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    monkeypatch.setenv("CDK_VALIDATION", "false")  # CDK's own template checks: 2-3 s, not the point here
    app = App()
    sqs.Queue(Stack(app, "Canary"), "PlainQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="AwsSolutions-SQS"):
        app.synth()


def test_synth_passes_cdk_nag(assembly: Path) -> None:
    """The fixture's synth ran cdk-nag as a validation plugin and exited 0; nothing was left open."""
    report = assembly / "validation-report.json"
    if report.exists():
        failed = [p for p in json.loads(report.read_text())["pluginReports"] if p["conclusion"] != "success"]
        assert not failed


def test_partner_accounts_may_send_to_the_intake_queue_and_use_its_key() -> None:
    """The Intake construct alone (in-process, no second full synth): a statement naming each
    partner account on the queue, the key usable by them for SQS, and cdk-nag still clean."""
    from aws_cdk import App, Stack, Validations
    from aws_cdk.assertions import Template as CdkTemplate
    from cdk_nag import AwsSolutionsChecks

    from infra.components.encryption import Encryption
    from infra.components.intake import Intake

    app = App()
    stack = Stack(app, "Partners")
    encryption = Encryption(stack, "Encryption")
    Intake(stack, "Intake", key=encryption.data_key, partner_accounts=PARTNERS)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on an unacknowledged finding
    template = dict(CdkTemplate.from_stack(stack).to_json())
    queue_id, _ = one(template, "AWS::SQS::Queue", "IntakeQueue")
    (statement,) = [
        s
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "PartnersSend"
    ]
    principals = json.dumps(statement["Principal"])
    assert all(account in principals for account in PARTNERS)
    assert "sqs:SendMessage" in as_list(statement["Action"])
    assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    _, key = one(template, "AWS::KMS::Key", "DataKey")
    assert all(account in json.dumps(key["Properties"]["KeyPolicy"]) for account in PARTNERS)


def test_old_code_folders_are_pruned_but_recent_ones_kept(tmp_path: Path) -> None:
    names = ("verify_inn-1", "verify_inn-2", "verify_inn-3", "authorizer-1")
    keep, recent, stale, other = (tmp_path / n for n in names)
    for folder in (keep, recent, stale, other):
        folder.mkdir()
    long_ago = time.time() - 2 * packaging.STALE_SECONDS
    for folder in (stale, other):
        os.utime(folder, (long_ago, long_ago))
    packaging._prune("verify_inn", keep=keep)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["authorizer-1", "verify_inn-1", "verify_inn-2"]


def test_trust_store_is_packaged_with_the_applications_function_only(template: dict) -> None:
    """The signed-XML trust store travels in the code of the one function that reads it."""
    functions = of_type(template, "AWS::Lambda::Function")
    holding = {
        logical: props["Properties"]["Environment"]["Variables"]["SIGNED_XML_TRUST_STORE"]
        for logical, props in functions.items()
        if "SIGNED_XML_TRUST_STORE" in props["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert [k for k in holding if k.startswith("FunctionsApplicationsApiFunction")] == list(holding)
    assert list(holding.values()) == ["trust_store.pem"]
    asset = Path(function_asset("submit_application", {"trust_store.pem": ROOT / "localcloud/test_ca/ca.pem"}))
    assert (asset / "trust_store.pem").read_bytes() == (ROOT / "localcloud/test_ca/ca.pem").read_bytes()
    assert asset != Path(function_asset("submit_application")), "the store is part of the content hash"


def test_acknowledged_findings_are_counted_from_the_tree_once_each_by_rule() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from infra.components.nag import acknowledge, acknowledged

    app = App()
    queue = sqs.Queue(Stack(app, "Acks"), "Queue")
    acknowledge(queue, "AwsSolutions-SQS3", "a dead-letter queue")
    acknowledge(queue, "AwsSolutions-SQS3", "the same finding again")
    acknowledge(queue, "AwsSolutions-IAM5[Resource::*]", "one finding")
    acknowledge(queue, "AwsSolutions-IAM5[Action::kms:ReEncrypt*]", "another finding")
    acknowledge(queue, "HIPAA.Security-SQSQueueSSL", "another pack's")
    assert acknowledged(app, "AwsSolutions") == {"AwsSolutions-SQS3": 1, "AwsSolutions-IAM5": 2}


def test_the_synth_says_which_packs_ran_and_how_many_findings_are_acknowledged(synth: Synth) -> None:
    synth.result()
    output = synth.out_dir.with_suffix(".log").read_text()
    found = re.search(
        r"rule pack AwsSolutions ran on every resource; no open finding; (\d+) acknowledged findings \((.*)\)", output
    )
    assert found, output[-2000:]
    by_rule = dict(part.rsplit(" ", 1) for part in found.group(2).split(", "))
    assert sum(map(int, by_rule.values())) == int(found.group(1)) > 0
    assert "APIG2" in by_rule, "the API without a request validator is acknowledged, with its reason"
