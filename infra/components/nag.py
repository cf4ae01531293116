"""cdk-nag: the rule packs every synth runs, the acknowledgements (each names the rule it accepts
and the real reason), and the summary `make synth` prints."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import version
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from cdk_nag import NagPack


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def add_checks(app: IConstruct) -> list[NagPack]:
    """Registers the packs as validation plugins: an unacknowledged finding fails the synth."""
    from cdk_nag import AwsSolutionsChecks  # jsii loads it: only where a whole app is checked

    packs: list[NagPack] = [AwsSolutionsChecks(app)]
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledged(scope: IConstruct, pack: str) -> Counter[str]:
    """The findings of `pack` acknowledged under `scope`, by rule (`AwsSolutions-IAM5`): one per
    construct and finding id (cdk-nag 3 acknowledges each finding by its full id, no prefixes)."""
    findings = set()
    for node in scope.node.find_all():
        for entry in node.node.metadata:
            if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY or not isinstance(entry.data, dict):
                continue
            for key in map(str, entry.data):
                source, _, rest = key.partition("::")  # `Annotation::AwsSolutions-IAM5[Resource::*]`
                rule = rest if rest and "[" not in source else key
                if rule.startswith(f"{pack}-"):
                    findings.add((node.node.path, rule))
    return Counter(rule.partition("[")[0] for _, rule in findings)


def summary(app: IConstruct, packs: list[NagPack]) -> str:
    """What ran and what was accepted, from the app's own tree (printed after a successful synth)."""
    lines = []
    for pack in packs:
        name = pack.read_pack_name
        counts = acknowledged(app, name)
        detail = ", ".join(f"{rule.removeprefix(name + '-')} {n}" for rule, n in sorted(counts.items()))
        lines.append(
            f"cdk-nag {version('cdk-nag')}: rule pack {name} ran on every resource; no open finding; "
            f"{sum(counts.values())} acknowledged findings ({detail})"
        )
    return "\n".join(lines)
