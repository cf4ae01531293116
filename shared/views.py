"""The status view and its expected completion time."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.models import Application, HistoryEntry, HistoryView, Stage, Status, StatusView

# Seed norms (DOMAIN.md) as ceilings for what is left after each stage; automated stages take
# seconds in practice, so these are promises we keep, not estimates of a slow process.
_REMAINING = {
    Stage.SUBMITTED: timedelta(minutes=30) + timedelta(hours=24),
    Stage.FNS_CHECK: timedelta(minutes=30) + timedelta(hours=24),
    Stage.ACTIVATION: timedelta(hours=24),
}


def expected_ready_at(app: Application) -> datetime | None:
    """Only an application the service itself is moving has a date; a final or waiting one has none."""
    if app.status is not Status.IN_PROGRESS:
        return None
    remaining = _REMAINING.get(app.stage)
    return app.updated_at + remaining if remaining else None


def status_view(app: Application, history: list[HistoryEntry]) -> StatusView:
    return StatusView(
        application_id=app.application_id,
        status=app.status,
        status_label=app.status.label,
        stage=app.stage,
        channel=app.channel,
        created_at=app.created_at,
        updated_at=app.updated_at,
        expected_ready_at=expected_ready_at(app),
        required_actions=app.required_actions,
        rejection_reasons=app.rejection_reasons,
        history=[HistoryView(status=h.status, stage=h.stage, at=h.at, note=h.note) for h in history],
        warnings=app.warnings,
    )
