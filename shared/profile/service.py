"""The use cases behind the profile API: the access journal and changes of personal data.

Each takes its ports and the caller as an `Accessor`; every read and change of a citizen's data
is journaled under that citizen. No boto3, no HTTP (shared/api answers the errors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.core.errors import FieldError, InvalidInput, NotFound
from shared.core.messages import field_message
from shared.core.observability import get_logger
from shared.journal.access import AccessAction, AccessLogPage, Accessor, creation_entry, record
from shared.journal.ports import AccessJournal
from shared.profile.changes import ChangeDeps, ChangeDocumentUpload, ChangeRequest, ChangeStatus
from shared.profile.views import (
    ChangeRequestCreated,
    ChangeRequestPage,
    ChangeRequestView,
    OperatorChangeRequestPage,
    OperatorChangeRequestView,
    citizen_view,
    operator_view,
)

DOWNLOAD_URL_SECONDS = 300
_RESOURCE = "change_request"


@dataclass
class ProfileDeps:
    changes: Callable[[], ChangeDeps]
    journal: Callable[[], AccessJournal]
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def _journal(deps: ProfileDeps, who: Accessor, action: AccessAction, requests: list[ChangeRequest]) -> None:
    record(deps.journal(), who, action, _RESOURCE, [(r.owner_sub, r.request_id) for r in requests], deps.now())


def _not_found() -> NotFound:
    return NotFound(variant=_RESOURCE)


def _own(deps: ProfileDeps, who: Accessor, request_id: str) -> ChangeRequest:
    """The caller's own request; anyone else's is not found (no existence leak)."""
    found = deps.changes().store.get(request_id)
    if found is None or found.owner_sub != who.actor_id:
        raise _not_found()
    return found


def _operator_view(deps: ProfileDeps, request: ChangeRequest) -> OperatorChangeRequestView:
    store = deps.changes().documents
    return operator_view(request, lambda key: store.presign_download(key, DOWNLOAD_URL_SECONDS))


def access_log(deps: ProfileDeps, who: Accessor, limit: int, next_token: str | None) -> AccessLogPage:
    """`GET /me/access-log`: who read or changed the citizen's data."""
    page = deps.journal().list(who.actor_id, limit, next_token)
    return AccessLogPage(items=[e.view() for e in page.items], next_token=page.next_token)


def create(deps: ProfileDeps, who: Accessor, body: Any) -> ChangeRequestCreated:
    """`POST /profile/change-requests`: new values and the documents that back them."""
    from shared.profile.changes import create as open_request
    from shared.profile.changes import parse_request

    changes, uploads = parse_request(body)
    request, upload_views = open_request(deps.changes(), who.actor_id, changes, uploads)
    deps.journal().record([creation_entry(who, _RESOURCE, request.request_id, who.actor_id, request.created_at)])
    get_logger().info("change request created", extra={"request_id": request.request_id, "fields": changes.fields()})
    return ChangeRequestCreated(**dict(citizen_view(request)), uploads=upload_views)


def list_own(deps: ProfileDeps, who: Accessor, limit: int, next_token: str | None) -> ChangeRequestPage:
    page = deps.changes().store.list_by_owner(who.actor_id, limit, next_token)
    _journal(deps, who, AccessAction.READ, page.items)
    return ChangeRequestPage(items=[citizen_view(r) for r in page.items], next_token=page.next_token)


def get_own(deps: ProfileDeps, who: Accessor, request_id: str) -> ChangeRequestView:
    found = _own(deps, who, request_id)
    _journal(deps, who, AccessAction.READ, [found])
    return citizen_view(found)


def add_document(deps: ProfileDeps, who: Accessor, request_id: str, body: Any) -> ChangeDocumentUpload:
    """`POST /profile/change-requests/{id}/documents`: one more document for the request."""
    from shared.profile.changes import add_document as attach
    from shared.review.decisions import parse_document_request

    found = _own(deps, who, request_id)
    updated, upload = attach(deps.changes(), found, parse_document_request(body))
    _journal(deps, who, AccessAction.CHANGE, [updated])
    return upload


def queue(
    deps: ProfileDeps, who: Accessor, status: str | None, limit: int, next_token: str | None
) -> OperatorChangeRequestPage:
    """`GET /operator/change-requests`: requests of one status (in review by default), oldest first."""
    status = ChangeStatus.IN_REVIEW.value if status is None else status
    if status not in ChangeStatus.__members__.values():
        raise InvalidInput([FieldError(field="status", code="invalid_value", message=field_message("invalid_value"))])
    page = deps.changes().store.list_by_status(status, limit, next_token)
    _journal(deps, who, AccessAction.READ, page.items)
    return OperatorChangeRequestPage(items=[_operator_view(deps, r) for r in page.items], next_token=page.next_token)


def get_any(deps: ProfileDeps, who: Accessor, request_id: str) -> OperatorChangeRequestView:
    found = deps.changes().store.get(request_id)
    if found is None:
        raise _not_found()
    _journal(deps, who, AccessAction.READ, [found])
    return _operator_view(deps, found)


def decide(deps: ProfileDeps, who: Accessor, request_id: str, decision: str, reason: str) -> OperatorChangeRequestView:
    """`POST /operator/change-requests/{id}/decision`: an approval rewrites the citizen's data
    (journaled as a change of their profile too)."""
    from shared.profile.changes import decide as settle

    found = deps.changes().store.get(request_id)
    if found is None:
        raise _not_found()
    updated = settle(deps.changes(), found, decision, reason, who.actor_id)
    _journal(deps, who, AccessAction.CHANGE, [updated])
    if decision == "approve":
        record(
            deps.journal(),
            who,
            AccessAction.CHANGE,
            "profile",
            [(updated.owner_sub, updated.application_id)],
            deps.now(),
        )
    return _operator_view(deps, updated)
