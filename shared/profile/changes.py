"""Changes of a citizen's personal data after the cabinet is active (seed: "Порядок изменения
персональной информации").

A request names the new values (full name, birth date, address, phone); each needs its supporting
documents, uploaded through presigned POSTs. Verification (5 working days) starts when the last
document is in; an operator approves, which rewrites the data in the citizen's application with
a history line, or rejects with the reason and what to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from shared.applications.lifecycle import advance, on_fresh
from shared.applications.models import Address, Application, FullName, Status, date_text
from shared.applications.ports import ApplicationStore, StageStatistics
from shared.core import identifiers
from shared.core.errors import ConcurrentUpdate, Conflict, FieldError, InvalidInput
from shared.core.messages import field_message, field_text
from shared.core.ports import Clock, DocumentStore
from shared.profile.ports import ChangeRequestStore
from shared.review.decisions import UPLOAD_URL_SECONDS, DocumentRequest, PresignedUpload, parse_document_request

VERIFICATION_WORKING_DAYS = 5
# What each change must be backed by (passport pages, registration certificate, SNILS, other).
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "full_name": ("passport", "marriage_certificate"),  # new passport pages + the act of the name change
    "birth_date": ("passport",),
    "address": ("registration_certificate",),
    "phone": (),  # a phone is the citizen's own contact: the operator checks it, no document proves it
}
FIELD_LABELS = {"full_name": "ФИО", "birth_date": "дата рождения", "address": "адрес", "phone": "телефон"}


class ChangeStatus(StrEnum):
    AWAITING_DOCUMENTS = "awaiting_documents"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_LABELS = {
    ChangeStatus.AWAITING_DOCUMENTS: "Ожидаем документы",
    ChangeStatus.IN_REVIEW: "На проверке",
    ChangeStatus.APPROVED: "Изменения внесены",
    ChangeStatus.REJECTED: "Отклонено",
}


class Changes(BaseModel):
    """The new values; the same rules as in an application."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    full_name: FullName | None = None
    birth_date: date | None = None
    address: Address | None = None
    phone: str | None = None

    _birth_date_text = field_validator("birth_date", mode="before")(date_text)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalised = identifiers.normalise_phone(value)
        if normalised is None:
            raise PydanticCustomError("phone_format", field_message("phone_format"))
        return normalised

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, value: date | None) -> date | None:
        if value is not None and (value.year < 1900 or identifiers.birthday(value, 14) > date.today()):
            raise PydanticCustomError("birth_date_range", field_message("birth_date_range"))
        return value

    def fields(self) -> list[str]:
        return [name for name in REQUIRED_DOCUMENTS if getattr(self, name) is not None]


class ChangeDocument(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    document_id: str
    type: str
    content_type: str
    size: int
    key: str
    status: Literal["pending", "uploaded"] = "pending"
    uploaded_at: datetime | None = None


class ChangeRequest(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    request_id: str
    owner_sub: str
    application_id: str
    changes: Changes
    status: ChangeStatus
    required_documents: list[str]
    documents: list[ChangeDocument] = []
    created_at: datetime
    updated_at: datetime
    verification_due_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    fix: str | None = None
    version: int = 1

    def missing_documents(self) -> list[str]:
        have = {d.type for d in self.documents if d.status == "uploaded"}
        return [t for t in self.required_documents if t not in have]


class ChangeDocumentUpload(PresignedUpload):
    """Where to upload one document of a change request."""

    document_id: str
    type: str


@dataclass
class ChangeDeps:
    store: ChangeRequestStore
    applications: ApplicationStore
    stats: StageStatistics
    documents: DocumentStore
    clock: Clock
    new_id: Callable[[], str] = field(default_factory=lambda: lambda: str(uuid.uuid4()))


def _invalid(error: ValidationError, prefix: str) -> InvalidInput:
    errors = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        code = {"missing": "missing_field", "extra_forbidden": "unknown_field"}.get(item["type"], item["type"])
        if code.endswith(("_type", "_parsing")) or code in ("value_error", "date_from_datetime_parsing"):
            code = "invalid_value"
        errors.append(FieldError(field=f"{prefix}.{loc}" if loc else prefix, code=code, message=field_message(code)))
    return InvalidInput(errors)


class ChangeRequestBody(BaseModel):
    """`POST /profile/change-requests`: the new values, and the documents to upload now (more may follow)."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    changes: Changes
    documents: list[DocumentRequest] | None = None


def parse_request(raw: object) -> tuple[Changes, list[DocumentRequest]]:
    if not isinstance(raw, dict):
        raise InvalidInput([FieldError(field="body", code="invalid_json", message=field_message("invalid_json"))])
    try:
        changes = Changes.model_validate(raw.get("changes"))
    except ValidationError as error:
        raise _invalid(error, "changes") from None
    if not changes.fields():
        raise InvalidInput([FieldError(field="changes", code="missing_field", message=field_text("changes_missing"))])
    uploads = raw.get("documents")
    uploads = [] if uploads is None else uploads  # absent or null: none yet; `{}` or `""` is not a list
    if not isinstance(uploads, list):
        raise InvalidInput(
            [FieldError(field="documents", code="invalid_value", message=field_message("invalid_value"))]
        )
    return changes, [parse_document_request(u) for u in uploads]


def _profile(deps: ChangeDeps, owner_sub: str) -> Application:
    """The citizen's active cabinet: their `ready` application."""
    items, token = [], None
    while True:
        page = deps.applications.list_by_owner(owner_sub, 50, token)
        items.extend(page.items)
        token = page.next_token
        if token is None:
            break
    for app in items:
        if app.status is Status.READY:
            return app
    raise Conflict("profile_not_found")


def _attach(
    deps: ChangeDeps, request: ChangeRequest, upload: DocumentRequest
) -> tuple[ChangeDocument, dict[str, object]]:
    document_id = deps.new_id()
    document = ChangeDocument(
        document_id=document_id,
        type=upload.type,
        content_type=upload.content_type,
        size=upload.size,
        key=f"profile/{request.request_id}/{document_id}",
    )
    presigned = deps.documents.presign_upload(document.key, document.content_type, document.size, UPLOAD_URL_SECONDS)
    return document, presigned


def _upload_view(document: ChangeDocument, presigned: dict[str, object]) -> ChangeDocumentUpload:
    return ChangeDocumentUpload(
        document_id=document.document_id, type=document.type, **PresignedUpload.of(presigned).model_dump()
    )


def _in_review_if_complete(request: ChangeRequest, now: datetime) -> ChangeRequest:
    from shared.applications.eta import add_working_days

    if request.status is not ChangeStatus.AWAITING_DOCUMENTS or request.missing_documents():
        return request
    return request.model_copy(
        update={
            "status": ChangeStatus.IN_REVIEW,
            "verification_due_at": add_working_days(now, VERIFICATION_WORKING_DAYS),
        }
    )


def create(
    deps: ChangeDeps, owner_sub: str, changes: Changes, uploads: list[DocumentRequest]
) -> tuple[ChangeRequest, list[ChangeDocumentUpload]]:
    app = _profile(deps, owner_sub)
    now = deps.clock.now()
    required = sorted({doc for name in changes.fields() for doc in REQUIRED_DOCUMENTS[name]})
    request = ChangeRequest(
        request_id=deps.new_id(),
        owner_sub=owner_sub,
        application_id=app.application_id,
        changes=changes,
        status=ChangeStatus.AWAITING_DOCUMENTS,
        required_documents=required,
        created_at=now,
        updated_at=now,
    )
    attached = [_attach(deps, request, u) for u in uploads]
    request = _in_review_if_complete(request.model_copy(update={"documents": [d for d, _ in attached]}), now)
    deps.store.create(request)
    return request, [_upload_view(d, p) for d, p in attached]


def add_document(
    deps: ChangeDeps, request: ChangeRequest, upload: DocumentRequest
) -> tuple[ChangeRequest, ChangeDocumentUpload]:
    if request.status in (ChangeStatus.APPROVED, ChangeStatus.REJECTED):
        raise Conflict("change_request_closed", variant="documents")
    document, presigned = _attach(deps, request, upload)
    updated = _with_retry(
        deps,
        request,
        lambda r: r.model_copy(update={"documents": [*r.documents, document], "updated_at": deps.clock.now()}),
    )
    return updated, _upload_view(document, presigned)


def _with_retry(
    deps: ChangeDeps, request: ChangeRequest, change: Callable[[ChangeRequest], ChangeRequest]
) -> ChangeRequest:
    for _ in range(5):
        updated = change(request).model_copy(update={"version": request.version + 1})
        try:
            deps.store.save(updated, request.version)
            return updated
        except ConcurrentUpdate:
            fresh = deps.store.get(request.request_id)
            if fresh is None:
                raise
            request = fresh
    raise ConcurrentUpdate(request.request_id)


def record_upload(deps: ChangeDeps, key: str, size: int) -> ChangeRequest | None:
    """An object landed under `profile/<request>/<document>`: mark it; the last one starts the check."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "profile":
        return None
    request = deps.store.get(parts[1])
    if request is None or not any(d.document_id == parts[2] for d in request.documents):
        return None

    def mark(current: ChangeRequest) -> ChangeRequest:
        now = deps.clock.now()
        documents = [
            d.model_copy(update={"status": "uploaded", "uploaded_at": now, "size": size})
            if d.document_id == parts[2]
            else d
            for d in current.documents
        ]
        return _in_review_if_complete(current.model_copy(update={"documents": documents, "updated_at": now}), now)

    return _with_retry(deps, request, mark)


def decide(deps: ChangeDeps, request: ChangeRequest, decision: str, reason: str, operator_id: str) -> ChangeRequest:
    if request.status is ChangeStatus.AWAITING_DOCUMENTS:
        raise Conflict("documents_missing", params={"missing": ", ".join(request.missing_documents())})
    if request.status is not ChangeStatus.IN_REVIEW:
        raise Conflict("change_request_closed")
    now = deps.clock.now()
    if decision == "approve":
        _apply(deps, request, operator_id, now)
        settled: dict[str, object] = {"status": ChangeStatus.APPROVED}
    else:
        settled = {
            "status": ChangeStatus.REJECTED,
            "fix": "Проверьте документы и данные, указанные в причине, и подайте новую заявку; вопросы — в поддержку.",
        }
    return _with_retry(
        deps,
        request,
        lambda r: r.model_copy(
            update={**settled, "reason": reason, "decided_by": operator_id, "decided_at": now, "updated_at": now}
        ),
    )


def _apply(deps: ChangeDeps, request: ChangeRequest, operator_id: str, now: datetime) -> None:
    """Rewrite the citizen's data with a history line (the status stays what it is)."""
    app = deps.applications.get(request.application_id)
    if app is None:
        raise Conflict("profile_not_found", variant="application_gone")
    new_values = {name: getattr(request.changes, name) for name in request.changes.fields()}
    labels = ", ".join(FIELD_LABELS[name] for name in new_values)

    def write(current: Application) -> Application:
        body = current.body.model_copy(update=new_values)
        return advance(
            deps.applications,
            deps.stats,
            current,
            now=now,
            status=current.status,
            stage=current.stage,
            actor=operator_id,
            note=f"Изменены данные ({labels}) по заявке {request.request_id}.",
            body=body,
        )

    on_fresh(deps.applications, app, write)
