"""The status view a citizen, an operator or a partner sees."""

from __future__ import annotations

from shared.applications.eta import expected_ready_at
from shared.applications.models import Application, HistoryEntry, HistoryView, StatusView


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
