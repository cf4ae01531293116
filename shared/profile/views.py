"""What a citizen and an operator see of a change request (the API's answers)."""

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.profile.changes import (
    STATUS_LABELS,
    ChangeDocument,
    ChangeDocumentUpload,
    ChangeRequest,
    Changes,
    ChangeStatus,
)


class View(BaseModel):
    """An answer's model: its schema is built at its first use, not at import (a cold start builds only
    the views its route answers with)."""

    model_config = ConfigDict(defer_build=True)


class ChangeDocumentView(View):
    document_id: str
    type: str
    content_type: str
    size: int
    status: Literal["pending", "uploaded"]
    uploaded_at: datetime | None = None


class ChangeDocumentDownload(ChangeDocumentView):
    """An uploaded document, with a short-lived link for the operator to open it."""

    download_url: str


class ChangeRequestView(View):
    """A change request as its citizen sees it."""

    request_id: str
    application_id: str
    changes: Changes
    status: ChangeStatus
    status_label: str
    required_documents: list[str]
    missing_documents: list[str]
    documents: list[ChangeDocumentView]
    created_at: datetime
    updated_at: datetime
    verification_due_at: datetime | None
    decided_at: datetime | None
    reason: str | None
    fix: str | None


class ChangeRequestCreated(ChangeRequestView):
    """`POST /profile/change-requests`: the request and where to upload the documents sent with it."""

    uploads: list[ChangeDocumentUpload]


class ChangeRequestPage(View):
    items: list[ChangeRequestView]
    next_token: str | None


class OperatorChangeRequestView(ChangeRequestView):
    """A change request as the operator who decides it sees it: who decided, the uploaded documents."""

    documents: list[ChangeDocumentDownload]  # type: ignore[assignment]
    decided_by: str | None


class OperatorChangeRequestPage(View):
    items: list[OperatorChangeRequestView]
    next_token: str | None


def _fields(request: ChangeRequest) -> dict[str, object]:
    return {
        **dict(request),
        "status_label": STATUS_LABELS[request.status],
        "missing_documents": request.missing_documents(),
    }


def _document(document: ChangeDocument) -> ChangeDocumentView:
    return ChangeDocumentView(**document.model_dump(exclude={"key"}))


def citizen_view(request: ChangeRequest) -> ChangeRequestView:
    return ChangeRequestView.model_validate(
        {**_fields(request), "documents": [_document(d) for d in request.documents]}
    )


def operator_view(request: ChangeRequest, download_url: Callable[[str], str]) -> OperatorChangeRequestView:
    documents = [
        ChangeDocumentDownload(**d.model_dump(exclude={"key"}), download_url=download_url(d.key))
        for d in request.documents
        if d.status == "uploaded"
    ]
    return OperatorChangeRequestView.model_validate({**_fields(request), "documents": documents})
