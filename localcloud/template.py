"""Read the synthesized CDK template and prepare it for moto's CloudFormation.

The template stays the one source of truth: nothing here adds a resource. It only removes what
moto cannot create (and every reference to it), and the CDK bootstrap check. What moto creates
wrongly is fixed in `localcloud.moto_patches`; what it ignores (API Gateway, the state machine's
substitutions) is read from the same template by the gateway and the deployer.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STACK = "TaxCabinetStack"

# What moto 5.2.5's CloudFormation creates well enough to run the service.
DEPLOYABLE = frozenset(
    {
        "AWS::KMS::Key",
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Logs::LogGroup",
        "AWS::StepFunctions::StateMachine",
        "AWS::S3::Bucket",
        "AWS::SNS::Topic",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
    }
)
# Properties moto drops or cannot resolve (layers are the host's packages locally).
_DROPPED_PROPERTIES = {"AWS::Lambda::Function": ("Layers", "TracingConfig", "Architectures", "LoggingConfig")}
PLACEHOLDER = "local-not-deployed"


def _inputs_digest(context: dict[str, str]) -> str:
    """Everything a synth reads: the CDK app, the code it packages, the layer, the context."""
    digest = hashlib.sha256(json.dumps(context, sort_keys=True).encode())
    for folder in ("infra", "shared", "functions"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    trust_store = context.get("signed_xml_trust_store")  # packaged into a function's code
    extras = [ROOT / "cdk.json", ROOT / "uv.lock", ROOT / ".build" / "layer" / ".stamp"]
    for extra in [*extras, *([ROOT / trust_store] if trust_store else [])]:
        if extra.exists():
            digest.update(extra.read_bytes())
    return digest.hexdigest()[:20]


def synthesize_cached(cache_root: Path, context: dict[str, str]) -> tuple[Path, bool]:
    """The cloud assembly for these inputs, synthesized once (a synth costs 10-15 s of jsii)."""
    target = cache_root / _inputs_digest(context)
    if (target / f"{STACK}.template.json").exists():
        return target, True
    partial = target.with_name(target.name + f".{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    synthesize(partial, context)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    _prune(cache_root, keep=KEEP_ASSEMBLIES)
    return target, False


KEEP_ASSEMBLIES = 4  # each port synthesizes its own (the URLs differ): keep the newest few


def _prune(cache_root: Path, keep: int) -> None:
    done = [p for p in cache_root.iterdir() if p.is_dir() and not p.name.endswith(".partial")]
    for old in sorted(done, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def synthesize(out_dir: Path, context: dict[str, str]) -> Path:
    """Run the CDK app (no CLI needed) and return the cloud assembly folder."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out_dir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "app.py")], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"CDK synth failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return out_dir


def load(assembly: Path) -> dict[str, Any]:
    return dict(json.loads((assembly / f"{STACK}.template.json").read_text()))


def _references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, Fn::GetAtt, ${Id} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        for value in node.values():
            found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


def _replace_dropped(node: Any, dropped: set[str]) -> Any:
    if isinstance(node, dict):
        if node.get("Ref") in dropped:
            return PLACEHOLDER
        target = node.get("Fn::GetAtt")
        if target is not None:
            logical = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if logical in dropped:
                return PLACEHOLDER
        return {k: _replace_dropped(v, dropped) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_dropped(v, dropped) for v in node]
    return node


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of the template that moto's CloudFormation can create."""
    prepared = copy.deepcopy(template)
    prepared.get("Parameters", {}).pop("BootstrapVersion", None)
    prepared.pop("Rules", None)
    resources: dict[str, Any] = prepared["Resources"]
    # Scheduled rules are run by localcloud.scheduler (moto never fires a schedule).
    dropped = {
        rid
        for rid, res in resources.items()
        if res["Type"] not in DEPLOYABLE or "ScheduleExpression" in res.get("Properties", {})
    }
    for rid in dropped:
        del resources[rid]
    for resource in resources.values():
        for prop in _DROPPED_PROPERTIES.get(resource["Type"], ()):
            resource.get("Properties", {}).pop(prop, None)
        depends = resource.get("DependsOn")
        if depends is not None:
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in dropped]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]
    prepared["Resources"] = _replace_dropped(resources, dropped)
    outputs = prepared.get("Outputs", {})
    for name in [n for n, out in outputs.items() if _references(out) & dropped]:
        del outputs[name]
    return prepared


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {rid: res for rid, res in template["Resources"].items() if res["Type"] == kind}


def find_getatt(node: Any) -> str | None:
    """The first logical id named by a Fn::GetAtt inside a fragment (an integration URI, say)."""
    if isinstance(node, dict):
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
        for value in node.values():
            found = find_getatt(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = find_getatt(value)
            if found:
                return found
    return None
