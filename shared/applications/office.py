"""Applications submitted for a citizen by someone else (an operator at a tax office, a partner)
find their citizen by SNILS.

The submitter knows the citizen's SNILS, not their account, so such an application is stored
with a keyed hash of the SNILS and no owner. When a citizen whose identity-provider record is
trusted (a confirmed account) and carries the same SNILS signs in, the application becomes
theirs, and the accesses journaled while it had no owner move into their journal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.applications.ports import Claims
from shared.core import identifiers
from shared.core.ports import KeyedHasher
from shared.journal.access import AccessAction, Accessor, ActorRole, entries, pending_subject
from shared.journal.ports import AccessJournal


def snils_lookup_key(hasher: KeyedHasher, snils: str) -> str | None:
    """The keyed hash that links an application to a citizen; None for a malformed SNILS."""
    digits = identifiers.snils_digits(snils)
    return hasher.digest(f"snils:{digits}") if digits else None


@dataclass
class ClaimDeps:
    repo: Claims
    hasher: KeyedHasher
    journal: AccessJournal


def claim_for(deps: ClaimDeps, sub: str, person: Mapping[str, Any] | None, now: datetime) -> list[str]:
    """Claim every unowned application submitted for the person's SNILS; the ids claimed.

    Only a trusted record counts: an unconfirmed account could carry anyone's SNILS.
    """
    if not person or not person.get("trusted") or not isinstance(person.get("snils"), str):
        return []
    key = snils_lookup_key(deps.hasher, person["snils"])
    if key is None:
        return []
    claimed = []
    for app in deps.repo.list_claimable(key, 50):
        if deps.repo.claim(app.application_id, sub, key):
            deps.journal.reassign(pending_subject("application", app.application_id), sub)
            claimed.append(app.application_id)
    if claimed:
        system = Accessor(role=ActorRole.SYSTEM, actor_id="identity_provider", source="snils_match")
        deps.journal.record(entries(system, AccessAction.CHANGE, "application", [(sub, i) for i in claimed], now))
    return claimed
