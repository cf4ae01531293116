"""Status changes: one place builds the next version of an application and its history line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.applications.models import Application, HistoryEntry, Stage, Status
from shared.applications.ports import ApplicationStore, StageStatistics, Transition
from shared.core.errors import ApplicationNotFound, ConcurrentUpdate
from shared.core.metrics import emit

_OUTCOMES = (Status.READY, Status.REJECTED, Status.NEEDS_CLARIFICATION)


def load(repo: ApplicationStore, application_id: str) -> Application:
    """The application a workflow task works on; its absence is an error the task's Catch records."""
    app = repo.get(application_id)
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


def on_fresh(
    repo: ApplicationStore, app: Application, change: Callable[[Application], Application], attempts: int = 5
) -> Application:
    """Apply `change` (which advances the application), re-reading it after a lost race.

    For writers that act for someone who is not waiting on a screen (a workflow task, a confirmation
    that already resumed the workflow): they must land, not fail on a concurrent change.
    """
    for _ in range(attempts):
        try:
            return change(app)
        except ConcurrentUpdate:
            fresh = repo.get(app.application_id)
            if fresh is None:
                raise
            app = fresh
    raise ConcurrentUpdate(app.application_id)


def advance(
    repo: ApplicationStore,
    stats: StageStatistics,
    app: Application,
    *,
    now: datetime,
    status: Status,
    stage: Stage,
    note: str,
    actor: str = "system",
    acquire_inn: bool = False,
    **changes: object,
) -> Application:
    """Write the change if nobody changed the application since `app` was read.

    Raises ConcurrentUpdate when another writer won; nothing of this change is stored then.
    Leaving `rejected` never happens, and entering it releases the INN for a new application.
    A change of stage adds the time spent in the old one to `stats` (for the ETA).
    """
    updated = app.model_copy(
        update={"status": status, "stage": stage, "updated_at": now, "version": app.version + 1, **changes}
    )
    entry = HistoryEntry(status=status, stage=stage, at=now, note=note, actor=actor)
    repo.transition(
        Transition(
            application=updated,
            expected_version=app.version,
            history=entry,
            release_inn=status is Status.REJECTED and app.status is not Status.REJECTED and not acquire_inn,
            acquire_inn=acquire_inn,
        )
    )
    if stage is not app.stage:
        seconds = (now - app.updated_at).total_seconds()
        stats.record_stage_time(app.stage.value, seconds)
        emit("StageDuration", seconds, "Seconds", stage=app.stage.value)
    if status is not app.status and status in _OUTCOMES:
        reasons = updated.rejection_reasons
        emit("ApplicationOutcomes", status=status.value, reason=reasons[0].code if reasons else "none")
    return updated
