"""Prefill (the seed's "автоматическое заполнение форм"): what the identity provider already
knows about the signed-in citizen, in the application body's field names, with the fields it
vouches for marked, so the citizen only checks and sends."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

_FIELDS = ("inn", "snils", "birth_date", "email", "phone", "full_name", "passport", "address")


class Prefill(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    fields: dict[str, Any]
    verified: list[str]
    source: str = "identity_provider"


def prefill(person: dict[str, Any] | None) -> Prefill:
    """A confirmed (`trusted`) account vouches for names, birth date, SNILS and INN; the passport
    only when its document check is VERIFIED; phone and email when the provider verified them."""
    if not person:
        return Prefill(fields={}, verified=[])
    fields = {name: person[name] for name in _FIELDS if person.get(name) not in (None, "", {})}
    verified: set[str] = set()
    if person.get("trusted"):
        verified |= {"full_name", "birth_date", "snils", "inn"}
    if person.get("document_status") == "VERIFIED":
        verified.add("passport")
    if person.get("phone_verified"):
        verified.add("phone")
    if person.get("email_verified"):
        verified.add("email")
    return Prefill(fields=fields, verified=sorted(verified & set(fields)))
