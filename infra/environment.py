"""The functions' environment, from the settings classes they read (shared/core/config.py).

The variable names are the settings fields' aliases: infra never spells one itself, so a renamed
variable cannot be set under its old name. `FUNCTION_SETTINGS` is the one declaration of which
settings each function's code reads (through shared/wiring.py); its environment is exactly the
aliases of those classes, each with its value from `SettingValues`, and a function that reads a
setting without a value fails the synth. No CDK import here: the tests read this table cheaply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from shared.core import config
from shared.core.config import (
    AuthSettings,
    ContactSettings,
    DocumentSettings,
    EventSettings,
    FnsSettings,
    IntakeSettings,
    LookupSettings,
    PrefillSettings,
    SignedXmlSettings,
    StorageSettings,
    SubmissionSettings,
    SupportSettings,
)

# construct id -> the settings its handler reads (the handler and every shared/wiring.py builder it calls)
FUNCTION_SETTINGS: dict[str, tuple[type[BaseModel], ...]] = {
    "AuthorizerFunction": (AuthSettings,),
    "ApplicationsApiFunction": (
        StorageSettings,
        SubmissionSettings,  # submission_deps
        ContactSettings,  # contact_deps (confirmation, resend, contacts)
        DocumentSettings,  # review_deps (the operators' decisions, documents)
        PrefillSettings,  # the identity provider's userinfo
        SignedXmlSettings,  # the signed-XML channel's trust store (optional: unset closes the channel)
    ),
    "ProfileApiFunction": (StorageSettings, DocumentSettings),  # change_deps, journal
    "PartnerIntakeFunction": (StorageSettings, SubmissionSettings, IntakeSettings),
    "VerifyInnFunction": (StorageSettings, FnsSettings, LookupSettings),
    "ActivateCabinetFunction": (StorageSettings,),
    "RecordFailureFunction": (StorageSettings,),
    "ConfirmContactFunction": (ContactSettings,),
    "ReviewFunction": (DocumentSettings,),
    "DocumentUploadedFunction": (DocumentSettings,),  # review_deps, change_deps
    "DeadlineSweepFunction": (StorageSettings,),
    "SupportApiFunction": (StorageSettings, SupportSettings),
    "PublishEventsFunction": (EventSettings,),
}


@dataclass(frozen=True)
class SettingValues:
    """A value for every settings field a function may read, by field name; None: none here.

    Values are strings (CloudFormation tokens among them): the environment holds only strings."""

    table_name: str | None = None
    idempotency_table_name: str | None = None
    state_machine_arn: str | None = None
    hash_key_id: str | None = None
    code_ttl_seconds: str | None = None
    email_sender: str | None = None
    intake_dlq_url: str | None = None
    idp_userinfo_url: str | None = None
    documents_bucket: str | None = None
    fns_base_url: str | None = None
    fns_timeout_seconds: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    event_bus_name: str | None = None
    publish_failures_url: str | None = None
    trust_store: str | None = None

    def but(self, **values: str) -> SettingValues:
        """These values with some added (those only one concern knows: its queue, its bus)."""
        return dataclasses.replace(self, **values)


def settings_classes() -> list[type[BaseModel]]:
    """Every settings class of shared/core/config.py."""
    return [
        value
        for value in vars(config).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == config.__name__
    ]


def aliases(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> the environment variable it is read from."""
    out = {}
    for name, field in model.model_fields.items():
        if not field.alias:
            raise ValueError(f"{model.__name__}.{name} has no alias: name its environment variable in config.py")
        out[name] = field.alias
    return out


def environment(construct_id: str, values: SettingValues) -> dict[str, str]:
    """The variables of `construct_id`'s settings (FUNCTION_SETTINGS), each with its value."""
    if construct_id not in FUNCTION_SETTINGS:
        raise KeyError(f"{construct_id}: declare the settings it reads in infra/environment.py FUNCTION_SETTINGS")
    return variables(construct_id, FUNCTION_SETTINGS[construct_id], values)


def variables(construct_id: str, reads: Iterable[type[BaseModel]], values: SettingValues) -> dict[str, str]:
    env: dict[str, str] = {}
    for model in reads:
        for name, alias in aliases(model).items():
            value = getattr(values, name, None)
            if value is None and not model.model_fields[name].is_required():
                continue  # an optional setting left unset: the code takes its default
            if value is None:
                raise ValueError(f"{construct_id} reads {model.__name__}.{name} ({alias}), and no value is given")
            env[alias] = value
    return env
