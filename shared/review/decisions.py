"""Documents for a clarification and an operator's review of them.

A mismatch with the registry asks for documents (`upload_documents`); each is uploaded straight to
the encrypted bucket through a presigned POST that enforces its type and size. When everything
asked for is there, the application joins the operators' review queue (`wait_review`); the
decision resumes the workflow to activation or to `rejected` with the operator's reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from shared.applications.lifecycle import advance, on_fresh
from shared.applications.models import Application, RejectionReason, RequiredAction, Stage, Status
from shared.applications.ports import ApplicationStore, StageStatistics
from shared.core.errors import Conflict, FieldError, InvalidInput
from shared.core.messages import action_text, field_message, field_text
from shared.core.ports import Clock, DocumentStore, TaskCallbacks
from shared.review.ports import DocumentRecords

DOCUMENT_TYPES = ("passport", "snils", "inn_certificate", "registration_certificate", "marriage_certificate", "other")
CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_SIZE = 10 * 1024 * 1024
UPLOAD_URL_SECONDS = 900
_MESSAGES = {
    "document_type": field_text("document_type", types=", ".join(DOCUMENT_TYPES)),
    "content_type": field_text("content_type"),
    "document_size": field_text("document_size", megabytes=MAX_SIZE // (1024 * 1024)),
}


class DocumentRequest(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    type: str
    content_type: str
    size: StrictInt  # a number of bytes: not `true`, `1.5` or `"12"` (pydantic's lax mode takes them)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in DOCUMENT_TYPES:
            raise PydanticCustomError("document_type", _MESSAGES["document_type"])
        return value

    @field_validator("content_type")
    @classmethod
    def _content(cls, value: str) -> str:
        if value.lower() not in CONTENT_TYPES:
            raise PydanticCustomError("content_type", _MESSAGES["content_type"])
        return value.lower()

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        if not 0 < value <= MAX_SIZE:
            raise PydanticCustomError("document_size", _MESSAGES["document_size"])
        return value


class Document(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use, not at cold start
    document_id: str
    type: str
    content_type: str
    size: int
    key: str
    status: Literal["pending", "uploaded"] = "pending"
    created_at: datetime
    uploaded_at: datetime | None = None


@dataclass
class ReviewDeps:
    repo: ApplicationStore
    records: DocumentRecords
    stats: StageStatistics
    store: DocumentStore
    callbacks: TaskCallbacks
    clock: Clock


def parse_document_request(raw: object) -> DocumentRequest:
    try:
        return DocumentRequest.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "body"
            code = (
                error["type"]
                if error["type"] in _MESSAGES
                else "missing_field"
                if error["type"] == "missing"
                else "invalid_value"
            )
            message = _MESSAGES.get(code, field_message("invalid_value"))
            errors.append(FieldError(field=field, code=code, message=message))
        raise InvalidInput(errors) from None


def requested_documents(app: Application) -> list[str]:
    for action in app.required_actions:
        if action.code == "upload_documents":
            return list(action.documents or [])
    return []


def request_upload(deps: ReviewDeps, app: Application, request: DocumentRequest) -> tuple[Document, dict[str, object]]:
    if app.status in (Status.READY, Status.REJECTED):
        raise Conflict("application_closed")
    document_id = str(uuid.uuid4())
    document = Document(
        document_id=document_id,
        type=request.type,
        content_type=request.content_type,
        size=request.size,
        key=f"applications/{app.application_id}/{document_id}",
        created_at=deps.clock.now(),
    )
    deps.records.put_document(app.application_id, document.model_dump(mode="json"))
    upload = deps.store.presign_upload(document.key, document.content_type, document.size, UPLOAD_URL_SECONDS)
    return document, upload


def documents_of(deps: ReviewDeps, application_id: str) -> list[Document]:
    return [Document.model_validate(d) for d in deps.records.list_documents(application_id)]


def record_upload(deps: ReviewDeps, key: str, size: int) -> Application | None:
    """An object landed in the bucket: mark its document uploaded; when all that the clarification
    asked for are there, resume the workflow towards the review queue."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "applications":
        return None
    application_id, document_id = parts[1], parts[2]
    stored = deps.records.get_document(application_id, document_id)
    if stored is None:
        return None
    document = Document.model_validate(stored)
    if document.status != "uploaded":
        deps.records.put_document(
            application_id,
            document.model_copy(
                update={"status": "uploaded", "uploaded_at": deps.clock.now(), "size": size}
            ).model_dump(mode="json"),
        )
    app = deps.repo.get(application_id)
    if app is None or app.status is not Status.NEEDS_CLARIFICATION or not app.task_token:
        return app
    have = {d.type for d in documents_of(deps, application_id) if d.status == "uploaded"}
    if not set(requested_documents(app)) <= have:
        return app
    deps.callbacks.succeed(app.task_token, {"next": "review"})
    return app


def await_documents(deps: ReviewDeps, app: Application, task_token: str) -> Application:
    """The workflow waits for the documents the clarification asked for (the status stays as verify_inn set it).

    A citizen may upload everything before this wait has stored its token (the upload event then
    finds no token to resume): checked again once the token is stored, so no upload is ever stranded.
    """
    waiting = on_fresh(
        deps.repo,
        app,
        lambda current: advance(
            deps.repo,
            deps.stats,
            current,
            now=deps.clock.now(),
            status=current.status,
            stage=current.stage,
            note="Ожидаем документы для уточнения данных.",
            task_token=task_token,
        ),
    )
    have = {d.type for d in documents_of(deps, waiting.application_id) if d.status == "uploaded"}
    asked = set(requested_documents(waiting))
    if asked and asked <= have:
        deps.callbacks.succeed(task_token, {"next": "review"})
    return waiting


def await_review(deps: ReviewDeps, app: Application, task_token: str) -> Application:
    """All documents are in: the application joins the review queue (an operator must act)."""
    return on_fresh(
        deps.repo,
        app,
        lambda current: advance(
            deps.repo,
            deps.stats,
            current,
            now=deps.clock.now(),
            status=Status.IN_PROGRESS,
            stage=Stage.REVIEW,
            note="Документы получены. Заявление передано сотруднику на проверку (до 3 рабочих дней).",
            task_token=task_token,
            required_actions=[RequiredAction(code="wait_review", message=action_text("wait_review", "documents"))],
        ),
    )


def decide(deps: ReviewDeps, app: Application, decision: str, reason: str, operator_id: str) -> Application:
    if app.stage is not Stage.REVIEW or app.status is not Status.IN_PROGRESS:
        raise Conflict("not_in_review")
    now = deps.clock.now()
    if decision == "approve":
        updated = advance(
            deps.repo,
            deps.stats,
            app,
            now=now,
            status=Status.IN_PROGRESS,
            stage=Stage.ACTIVATION,
            actor=operator_id,
            note=f"Одобрено сотрудником: {reason}",
            required_actions=[],
            task_token=None,
            failure=None,
        )
    else:
        updated = advance(
            deps.repo,
            deps.stats,
            app,
            now=now,
            status=Status.REJECTED,
            stage=Stage.COMPLETED,
            actor=operator_id,
            note=f"Отклонено сотрудником: {reason}",
            required_actions=[],
            task_token=None,
            rejection_reasons=[
                RejectionReason(
                    code="operator_rejected",
                    message=reason,
                    fix="Исправьте указанное сотрудником и подайте заявление снова; вопросы — в поддержку.",
                )
            ],
        )
    if app.task_token:
        deps.callbacks.succeed(app.task_token, {"decision": decision})
    return updated


class PresignedUpload(BaseModel):
    """Where and how to upload a file: a presigned POST that enforces its type and size."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    upload_url: str
    fields: dict[str, object]
    method: Literal["POST"] = "POST"
    expires_in: int = UPLOAD_URL_SECONDS

    @classmethod
    def of(cls, presigned: dict[str, object]) -> PresignedUpload:
        return cls(upload_url=str(presigned["url"]), fields=dict(presigned["fields"]))  # type: ignore[call-overload]


class DocumentUpload(PresignedUpload):
    """`POST /applications/{id}/documents`: the document's id and its upload."""

    document_id: str


class DocumentView(BaseModel):
    """An uploaded document as an operator sees it, with a short-lived link to open it."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    document_id: str
    type: str
    content_type: str
    size: int
    status: Literal["pending", "uploaded"]
    created_at: datetime | None = None
    uploaded_at: datetime | None = None
    download_url: str
