"""CDK entry point: `CDK_OUTDIR=cdk.out python infra/app.py` (or `cdk synth` through cdk.json).

Context: cdk.json's `context` holds the defaults (idp_jwks_url, idp_issuer, idp_audience,
idp_userinfo_url, fns_base_url, email_sender, code_ttl_seconds, partner_account_ids as a
comma-separated list, partners as `id:account,...` for the outcome queues of docs/events.md,
signed_xml_trust_store as the path of a PEM file of the CAs trusted to sign XML applications,
empty to close that channel, alarm_email as an address subscribed to the alarm topic, empty for
none); `-c key=value` or the CDK_CONTEXT_JSON variable (the local cloud) override them, also
without the CDK CLI. cdk-nag's AwsSolutions pack runs on every synth as a validation plugin: an
unacknowledged finding fails it; run as a script, the app prints the packs that ran and how many
findings are acknowledged (infra/components/nag.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import App, Environment

from infra.components.events import parse_partners
from infra.components.nag import add_checks, summary
from infra.components.service_function import FunctionSettings
from infra.stack import TaxCabinetStack


def _trust_store(path: str) -> str:
    """The signed-XML trust store: a PEM file, relative to the project root; empty closes the channel."""
    if not path:
        return ""
    resolved = Path(path) if Path(path).is_absolute() else Path(__file__).resolve().parent.parent / path
    if not resolved.is_file():
        raise SystemExit(f"signed_xml_trust_store: no such file {resolved}")
    return str(resolved)


def build(app: App) -> TaxCabinetStack:
    def ctx(key: str, default: str = "") -> str:
        value = app.node.try_get_context(key)
        return default if value is None else str(value)

    # Partners with outcome queues (partner id -> account); their accounts may also use the intake
    # queue, as may the accounts listed in partner_account_ids.
    partners = parse_partners(app.node.try_get_context("partners"))
    stack = TaxCabinetStack(
        app,
        "TaxCabinetStack",
        description="Tax cabinet onboarding: submit, verify against FNS, activate",
        env=Environment(account=os.getenv("CDK_DEFAULT_ACCOUNT"), region=os.getenv("CDK_DEFAULT_REGION")),
        settings=FunctionSettings(
            idp_jwks_url=ctx("idp_jwks_url"),
            idp_issuer=ctx("idp_issuer"),
            idp_audience=ctx("idp_audience", "tax-cabinet"),
            idp_userinfo_url=ctx("idp_userinfo_url"),
            fns_base_url=ctx("fns_base_url"),
            email_sender=ctx("email_sender", "no-reply@nalog-cabinet.example"),
            code_ttl_seconds=int(ctx("code_ttl_seconds", "600")),
            signed_xml_trust_store=_trust_store(ctx("signed_xml_trust_store")),
        ),
        partner_accounts=sorted(
            {a.strip() for a in ctx("partner_account_ids").split(",") if a.strip()} | set(partners.values())
        ),
        partners=partners,
        alarm_email=ctx("alarm_email").strip(),
    )
    return stack


def cdk_json_context() -> dict[str, object]:
    """cdk.json's context, as the cdk CLI would pass it. A plain `python infra/app.py` (the local
    cloud, `make synth`) reads no cdk.json, so these are the App's defaults; CDK_CONTEXT_JSON and
    `-c` still override them (the App applies its own defaults first, then the environment)."""
    path = Path(__file__).resolve().parent.parent / "cdk.json"
    return dict(json.loads(path.read_text()).get("context", {}))


def main() -> None:
    application = App(context=cdk_json_context())
    build(application)
    packs = add_checks(application)
    application.synth()
    print(summary(application, packs))


if __name__ == "__main__":
    main()
