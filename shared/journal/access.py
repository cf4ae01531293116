"""The access journal: who read or changed a citizen's data, when, what and from where.

152-FZ asks for an audit of every access and the seed promises the citizen a journal they can
read. An entry names the resource by its id and kind only, never its contents, so the journal
itself holds no personal data; it is keyed by the citizen's `sub` and expires after the
retention period (3 years, the limitation period for such claims).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from shared.journal.ports import AccessJournal

RETENTION = timedelta(days=3 * 365)


class ActorRole(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    PARTNER = "partner"
    SYSTEM = "system"


class AccessAction(StrEnum):
    READ = "read"
    CREATE = "create"
    CHANGE = "change"


ACTION_LABELS = {
    AccessAction.READ: "просмотр",
    AccessAction.CREATE: "создание",
    AccessAction.CHANGE: "изменение",
}
ROLE_LABELS = {
    ActorRole.CITIZEN: "вы",
    ActorRole.OPERATOR: "сотрудник налоговой службы",
    ActorRole.PARTNER: "партнёр",
    ActorRole.SYSTEM: "система",
}
RESOURCE_LABELS = {
    "application": "заявление",
    "application_list": "список заявлений",
    "document": "документ",
    "ticket": "обращение в поддержку",
    "change_request": "заявка на изменение данных",
    "profile": "профиль",
}


class AccessEntry(BaseModel):
    """One access. `actor_id` is a `sub`, an operator's id or a partner id: pseudonymous ids only."""

    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start

    entry_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    subject_sub: str
    at: datetime
    actor_role: ActorRole
    actor_id: str
    action: AccessAction
    resource: str
    resource_id: str
    source: str  # "api" with the client's IP, or "sqs:<partner_id>", or "workflow"

    def view(self) -> AccessEntryView:
        """What the citizen reads: the same fields, plus Russian labels."""
        return AccessEntryView(
            at=self.at,
            actor_role=self.actor_role,
            actor=ROLE_LABELS[self.actor_role],
            actor_id=self.actor_id if self.actor_role is not ActorRole.CITIZEN else None,
            action=self.action,
            action_label=ACTION_LABELS[self.action],
            resource=self.resource,
            resource_label=RESOURCE_LABELS.get(self.resource, self.resource),
            resource_id=self.resource_id,
            source=self.source,
        )


class AccessEntryView(BaseModel):
    """One line of `GET /me/access-log`: who (a role, and an id unless it was the citizen), what, when, from where."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    at: datetime
    actor_role: ActorRole
    actor: str
    actor_id: str | None
    action: AccessAction
    action_label: str
    resource: str
    resource_label: str
    resource_id: str
    source: str


class AccessLogPage(BaseModel):
    """`GET /me/access-log`: the citizen's journal, newest first."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    items: list[AccessEntryView]
    next_token: str | None


@dataclass(frozen=True)
class Accessor:
    """Who is reading or changing, as the handler established it."""

    role: ActorRole
    actor_id: str
    source: str


def entries(
    accessor: Accessor,
    action: AccessAction,
    resource: str,
    targets: Sequence[tuple[str | None, str]],
    at: datetime,
) -> list[AccessEntry]:
    """One entry per (citizen sub, resource id). A resource with no known citizen yet (an office
    or partner application before its citizen signs in) is journaled under a pending subject and
    handed to the citizen when they claim it (`AccessJournal.reassign`)."""
    return [
        AccessEntry(
            subject_sub=subject or pending_subject(resource, resource_id),
            at=at,
            actor_role=accessor.role,
            actor_id=accessor.actor_id,
            action=action,
            resource=resource,
            resource_id=resource_id,
            source=accessor.source,
        )
        for subject, resource_id in targets
    ]


def pending_subject(resource: str, resource_id: str) -> str:
    return f"pending:{resource}:{resource_id}"


def creation_entry(
    accessor: Accessor, resource: str, resource_id: str, owner_sub: str | None, created_at: datetime
) -> AccessEntry:
    """The creation of a record, with a key fixed by the record: writing it again after a retried
    request or a redelivered message replaces it instead of adding a second line."""
    return AccessEntry(
        entry_id=f"create-{resource_id}",
        subject_sub=owner_sub or pending_subject(resource, resource_id),
        at=created_at,
        actor_role=accessor.role,
        actor_id=accessor.actor_id,
        action=AccessAction.CREATE,
        resource=resource,
        resource_id=resource_id,
        source=accessor.source,
    )


def record(
    journal: AccessJournal,
    accessor: Accessor,
    action: AccessAction,
    resource: str,
    targets: Sequence[tuple[str | None, str]],
    at: datetime,
) -> None:
    """Journal an access after it succeeded: one entry per (citizen sub, resource id), no write for none."""
    if targets:
        journal.record(entries(accessor, action, resource, targets, at))
