"""The use cases behind the applications API: one function per route, each taking its ports.

The HTTP edge (functions/submit_application/handler.py) parses the request, names the caller
(an `Accessor`: a citizen by sub, an operator by id) and calls one of these; they apply the
rules, journal every access to a citizen's data and answer with a typed view. They know no
boto3 and no HTTP: a refusal is a domain error (shared/core/errors.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.applications.models import Application, Channel, Status, StatusView
from shared.applications.prefill import Prefill
from shared.applications.prefill import prefill as fill
from shared.applications.views import ApplicationPage, CodeSent, status_view
from shared.core import identifiers
from shared.core.errors import (
    AccessDenied,
    ApplicationNotFound,
    DuplicateApplication,
    FieldError,
    IdentityProviderUnavailable,
    InvalidInput,
    Unavailable,
)
from shared.core.messages import field_message, field_text
from shared.core.observability import get_logger
from shared.core.paging import Page
from shared.journal.access import AccessAction, Accessor, ActorRole, creation_entry, record
from shared.journal.ports import AccessJournal
from shared.onboarding.ports import Deduplicator, IdentityProvider

if TYPE_CHECKING:  # the submission, contact and review modules load with the routes that use them
    from shared.applications.office import ClaimDeps
    from shared.applications.submission import Origin, SubmissionDeps
    from shared.contact.confirmation import ContactDeps
    from shared.review.decisions import DocumentUpload, ReviewDeps
    from shared.review.views import ReviewItem, ReviewPage
    from shared.verification.steps import StepDeps

STAGE_TIMES_TTL_SECONDS = 60
DOWNLOAD_URL_SECONDS = 300
_RESOURCE = "application"


class StageTimes:
    """Measured stage times for expected completion, re-read at most once a minute per container."""

    def __init__(self, read: Callable[[], dict[str, tuple[int, float]]], ttl: float = STAGE_TIMES_TTL_SECONDS):
        self._read, self._ttl = read, ttl
        self._at = float("-inf")
        self._times: dict[str, tuple[int, float]] = {}

    def current(self) -> dict[str, tuple[int, float]]:
        now = time.monotonic()
        if now - self._at > self._ttl:
            self._times, self._at = self._read(), now
        return dict(self._times)


@dataclass
class ApplicationsDeps:
    """What the applications API needs; each group is built on first use (shared/wiring.py)."""

    submission: Callable[[], SubmissionDeps]
    contact: Callable[[], ContactDeps]
    review: Callable[[], ReviewDeps]
    steps: Callable[[], StepDeps]
    journal: Callable[[], AccessJournal]
    claims: Callable[[], ClaimDeps]
    identity: Callable[[], IdentityProvider]
    deduplicator: Callable[[], Deduplicator]
    trust_store: Callable[[], bytes | None]
    stage_times: StageTimes
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def _is_operator(who: Accessor) -> bool:
    return who.role is ActorRole.OPERATOR


def _view(deps: ApplicationsDeps, app: Application, with_history: bool = True) -> StatusView:
    history = deps.submission().repo.history(app.application_id) if with_history else []
    return status_view(app, history, deps.stage_times.current())


def _journal(
    deps: ApplicationsDeps, who: Accessor, action: AccessAction, apps: list[Application], resource: str = _RESOURCE
) -> None:
    record(deps.journal(), who, action, resource, [(a.owner_sub, a.application_id) for a in apps], deps.now())


def _created(deps: ApplicationsDeps, who: Accessor, created: Application) -> StatusView:
    entry = creation_entry(who, _RESOURCE, created.application_id, created.owner_sub, created.created_at)
    deps.journal().record([entry])
    return _view(deps, created)


def _origin(who: Accessor, signed: bool = False) -> Origin:
    """Who submits through which channels: a citizen (portal, mobile; a signed XML document), an operator (office)."""
    from shared.applications.submission import Origin

    if signed:
        return Origin(frozenset({Channel.SIGNED_XML}), Channel.SIGNED_XML, owner_sub=who.actor_id)
    if _is_operator(who):
        return Origin(frozenset({Channel.OFFICE}), Channel.OFFICE, operator_id=who.actor_id)
    return Origin(frozenset({Channel.PORTAL, Channel.MOBILE}), Channel.PORTAL, owner_sub=who.actor_id)


def create(
    deps: ApplicationsDeps,
    who: Accessor,
    confirmed: bool,
    raw: object,
    correlation_id: str,
    idempotency_key: str | None = None,
    body_text: str = "",
) -> StatusView:
    """`POST /applications`: a citizen with a confirmed account, or an operator at an office.
    With an idempotency key, a retried POST answers the first result."""
    if not _is_operator(who) and not confirmed:
        raise AccessDenied("account_not_confirmed")

    from shared.applications.submission import submit

    def work() -> StatusView:
        try:
            result = submit(raw, _origin(who), deps.submission(), correlation_id)
        except DuplicateApplication as duplicate:
            raise duplicate.shown_to(who.actor_id) from None
        return _created(deps, who, result.application)

    if not idempotency_key:
        return work()
    request = {
        "owner": who.actor_id,
        "key": idempotency_key[:200],
        "body_hash": hashlib.sha256(body_text.encode()).hexdigest(),
    }
    return StatusView.model_validate(deps.deduplicator().once(request, lambda: work().model_dump(mode="json")))


def create_signed(deps: ApplicationsDeps, who: Accessor, document: bytes, correlation_id: str) -> StatusView:
    """`POST /applications/signed`: an XML application signed with the citizen's own signature."""
    from shared.applications.submission import submit
    from shared.signed_xml.channel import verify_signed_application

    if _is_operator(who):
        raise AccessDenied()
    trust_store = deps.trust_store()
    if trust_store is None:
        raise Unavailable("signed_xml_unavailable")
    signed = verify_signed_application(document, trust_store, deps.now())
    try:
        result = submit(signed.application, _origin(who, signed=True), deps.submission(), correlation_id)
    except DuplicateApplication as duplicate:
        raise duplicate.shown_to(who.actor_id) from None
    created = result.application
    get_logger().info(
        "signed application submitted",
        extra={
            "application_id": created.application_id,
            "signed_at": signed.signed_at.isoformat(),
            **signed.signer.as_log(),
        },
    )
    return _created(deps, who, created)


def _claim_office_applications(deps: ApplicationsDeps, who: Accessor, confirmed: bool, token: str) -> list[str]:
    """Applications an operator or a partner submitted for this citizen become theirs (by SNILS)."""
    from shared.applications.office import claim_for

    if _is_operator(who) or not confirmed:
        return []
    try:
        person = deps.identity().person(token)
    except IdentityProviderUnavailable:
        get_logger().warning("identity provider unavailable: office applications not matched this time")
        return []
    return claim_for(deps.claims(), who.actor_id, person, deps.now())


def list_own(
    deps: ApplicationsDeps, who: Accessor, confirmed: bool, token: str, limit: int, next_token: str | None
) -> ApplicationPage:
    """`GET /applications`: the caller's applications; the first page first claims office ones."""
    if next_token is None:
        _claim_office_applications(deps, who, confirmed, token)
    page = deps.submission().repo.list_by_owner(who.actor_id, limit, next_token)
    _journal(deps, who, AccessAction.READ, page.items)
    return _page(deps, page)


def _page(deps: ApplicationsDeps, page: Page) -> ApplicationPage:
    return ApplicationPage(items=[_view(deps, a, with_history=False) for a in page.items], next_token=page.next_token)


def prefill(deps: ApplicationsDeps, token: str) -> Prefill:
    """`GET /applications/prefill`: what the identity provider knows of the caller, as the form's fields."""
    return fill(deps.identity().person(token))


def get(deps: ApplicationsDeps, who: Accessor, confirmed: bool, token: str, application_id: str) -> StatusView:
    """`GET /applications/{id}`: the caller's own (an office application for them is claimed first),
    or any for an operator; anyone else's is not found."""
    repo = deps.submission().repo
    found = repo.get(application_id)
    claimable = found is not None and found.owner_sub is None
    if claimable and application_id in _claim_office_applications(deps, who, confirmed, token):
        found = repo.get(application_id)
    if found is None or not (_is_operator(who) or (found.owner_sub and found.owner_sub == who.actor_id)):
        raise ApplicationNotFound(application_id)
    _journal(deps, who, AccessAction.READ, [found])
    return _view(deps, found)


def _owned(deps: ApplicationsDeps, who: Accessor, application_id: str) -> Application:
    """The caller's own application; anyone else's is not found (never 403: no existence leak)."""
    found = deps.submission().repo.get(application_id)
    if found is None or not found.owner_sub or found.owner_sub != who.actor_id:
        raise ApplicationNotFound(application_id)
    return found


def confirm_contact(deps: ApplicationsDeps, who: Accessor, application_id: str, body: dict[str, Any]) -> StatusView:
    """`POST /applications/{id}/confirmation`: the code from the SMS or the email."""
    from shared.contact.confirmation import confirm, parse_confirmation

    found = _owned(deps, who, application_id)
    request = parse_confirmation(body)
    updated = confirm(deps.contact(), found, request.code)
    _journal(deps, who, AccessAction.CHANGE, [updated])
    return _view(deps, updated)


def resend_code(deps: ApplicationsDeps, who: Accessor, application_id: str) -> CodeSent:
    """`POST /applications/{id}/confirmation/resend`: a new code, at most once a minute."""
    from shared.contact.confirmation import masked_destination, resend

    found = _owned(deps, who, application_id)
    sent = resend(deps.contact(), found)
    return CodeSent(sent_to=masked_destination(found), expires_at=sent.expires_at)


def change_contacts(deps: ApplicationsDeps, who: Accessor, application_id: str, body: dict[str, Any]) -> StatusView:
    """`PATCH /applications/{id}/contacts`: a wrong phone or email corrected while the code is awaited."""
    from shared.applications.validation import parse_contacts
    from shared.contact.confirmation import change_contacts as change

    found = _owned(deps, who, application_id)
    updated = change(deps.contact(), found, parse_contacts(body))
    _journal(deps, who, AccessAction.CHANGE, [updated])
    return _view(deps, updated)


def upload_document(deps: ApplicationsDeps, who: Accessor, application_id: str, body: dict[str, Any]) -> DocumentUpload:
    """`POST /applications/{id}/documents`: where to upload a document a clarification asked for."""
    from shared.review.decisions import DocumentUpload, PresignedUpload, parse_document_request, request_upload

    found = _owned(deps, who, application_id)
    document, upload = request_upload(deps.review(), found, parse_document_request(body))
    _journal(deps, who, AccessAction.CREATE, [found], resource="document")
    return DocumentUpload(document_id=document.document_id, **PresignedUpload.of(upload).model_dump())


def decide(deps: ApplicationsDeps, who: Accessor, application_id: str, decision: str, reason: str) -> StatusView:
    """`POST /operator/applications/{id}/decision`: approve or reject after review. An approval of an
    application whose workflow has ended (a recorded failure: no task token) activates it here."""
    from shared.review.decisions import decide as settle
    from shared.verification.steps import activate

    repo = deps.submission().repo
    found = repo.get(application_id)
    if found is None:
        raise ApplicationNotFound(application_id)
    updated = settle(deps.review(), found, decision, reason, who.actor_id)
    if decision == "approve" and not found.task_token:
        activate(deps.steps(), application_id)
        updated = repo.get(application_id) or updated
    _journal(deps, who, AccessAction.CHANGE, [updated])
    return _view(deps, updated)


def _invalid(field_name: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field=field_name, code=code, message=message)])


def _review_item(deps: ApplicationsDeps, found: Application) -> ReviewItem:
    from shared.review.decisions import DocumentView, documents_of
    from shared.review.views import ReviewItem

    review = deps.review()
    documents = [
        DocumentView(
            **d.model_dump(exclude={"key"}), download_url=review.store.presign_download(d.key, DOWNLOAD_URL_SECONDS)
        )
        for d in documents_of(review, found.application_id)
        if d.status == "uploaded"
    ]
    view = _view(deps, found, with_history=False)
    return ReviewItem(**dict(view), mismatches=found.mismatches, failure=found.failure, documents=documents)


def search(
    deps: ApplicationsDeps,
    who: Accessor,
    *,
    status: str | None,
    inn: str | None,
    queue: str | None,
    limit: int,
    next_token: str | None,
) -> ApplicationPage | ReviewPage:
    """`GET /operator/applications` (operators only): the review queue, or applications by INN or by status."""
    from shared.review.views import ReviewPage

    submission = deps.submission()
    repo = submission.repo
    if queue is not None:
        if queue != "review":
            raise _invalid("queue", "invalid_value", field_text("queue_value"))
        page = repo.list_review_queue(limit, next_token)
        _journal(deps, who, AccessAction.READ, page.items)
        return ReviewPage(items=[_review_item(deps, a) for a in page.items], next_token=page.next_token)
    if inn:
        code = identifiers.inn_error(inn)
        if code:
            raise _invalid("inn", code, field_message(code))
        page = repo.list_by_inn_hash(submission.hasher.digest(inn), limit, next_token)
    elif status:
        if status not in Status.__members__.values():
            raise _invalid("status", "invalid_value", field_message("invalid_value"))
        page = repo.list_by_status(status, limit, next_token)
    else:
        raise _invalid("status", "missing_field", field_text("search_missing"))
    _journal(deps, who, AccessAction.READ, page.items)
    return _page(deps, page)
