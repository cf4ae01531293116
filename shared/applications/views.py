"""The status view a citizen, an operator or a partner sees."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from shared.applications.eta import expected_ready_at
from shared.applications.models import Application, HistoryEntry, HistoryView, StatusView

__all__ = ["ApplicationPage", "CodeSent", "StatusView", "status_view"]


def status_view(
    app: Application, history: list[HistoryEntry], measured: dict[str, tuple[int, float]] | None = None
) -> StatusView:
    return StatusView(
        application_id=app.application_id,
        status=app.status,
        status_label=app.status.label,
        stage=app.stage,
        channel=app.channel,
        created_at=app.created_at,
        updated_at=app.updated_at,
        expected_ready_at=expected_ready_at(app, measured or {}),
        required_actions=app.required_actions,
        rejection_reasons=app.rejection_reasons,
        history=[HistoryView(status=h.status, stage=h.stage, at=h.at, note=h.note) for h in history],
        warnings=app.warnings,
        submitted_by_operator=app.operator_id,
    )


class ApplicationPage(BaseModel):
    """A page of applications (a citizen's own, or an operator's search), newest first."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    items: list[StatusView]
    next_token: str | None


class CodeSent(BaseModel):
    """`POST /applications/{id}/confirmation/resend`: where the new code went, until when it holds."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    sent_to: str
    expires_at: datetime = Field(json_schema_extra={"format": "date-time"})  # the serializer writes a str

    @field_serializer("expires_at")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()  # as it has always been written (`+00:00`, not `Z`)
