"""Settings read from the environment, lazily (at first use, not at import) so tests control them."""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field


class StorageSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    table_name: str = Field(alias="TABLE_NAME")


class SubmissionSettings(StorageSettings):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME")
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN")
    hash_key_id: str = Field(alias="HASH_KEY_ID")
    code_ttl_seconds: int = Field(default=600, alias="CODE_TTL_SECONDS", ge=5, le=3600)


class ContactSettings(StorageSettings):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    hash_key_id: str = Field(alias="HASH_KEY_ID")
    email_sender: str = Field(alias="EMAIL_SENDER")
    code_ttl_seconds: int = Field(default=600, alias="CODE_TTL_SECONDS", ge=5, le=3600)


class IntakeSettings(SubmissionSettings):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    intake_dlq_url: str = Field(alias="INTAKE_DLQ_URL")


class SignedXmlSettings(BaseModel):
    """The packaged trust store of the signed-XML channel, relative to the code's root; unset: the
    channel is closed (infra sets it only when a trust store is given)."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    trust_store: str | None = Field(default=None, alias="SIGNED_XML_TRUST_STORE")


class PrefillSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    idp_userinfo_url: str = Field(alias="IDP_USERINFO_URL")


class LookupSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    hash_key_id: str = Field(alias="HASH_KEY_ID")


class DocumentSettings(StorageSettings):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET")


class FnsSettings(StorageSettings):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    fns_base_url: str = Field(alias="FNS_BASE_URL")
    fns_timeout_seconds: float = Field(default=5.0, alias="FNS_TIMEOUT_SECONDS")


class SupportSettings(StorageSettings):
    """The support tickets API: INN hashes, answer notifications, screenshot uploads."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    hash_key_id: str = Field(alias="HASH_KEY_ID")
    email_sender: str = Field(alias="EMAIL_SENDER")
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET")


class AuthSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    jwks_url: str = Field(alias="IDP_JWKS_URL")
    issuer: str = Field(alias="IDP_ISSUER")
    audience: str = Field(default="tax-cabinet", alias="IDP_AUDIENCE")


@cache
def _load(model: type[BaseModel]) -> BaseModel:
    return model.model_validate(dict(os.environ))


T = TypeVar("T", bound=BaseModel)


def settings(model: type[T]) -> T:
    """The settings of `model`, validated once per process (a Lambda execution environment)."""
    loaded = _load(model)
    assert isinstance(loaded, model)
    return loaded


def reset() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    _load.cache_clear()


class EventSettings(BaseModel):
    """The status-event publisher: the bus it puts events on, the queue for what cannot be published."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    event_bus_name: str = Field(alias="EVENT_BUS_NAME")
    publish_failures_url: str = Field(alias="PUBLISH_FAILURES_URL")
