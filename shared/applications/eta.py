"""Expected completion: the seed's norms as ceilings, measured stage times as the estimate.

Automated stages are timed in hours; an operator's review in working days of the Russian
calendar (Tax Code art. 6.1: counted from the next day, a term ending on a day off moves to the
next working day). A stage whose measured mean (over at least MIN_SAMPLES) is below its norm is
estimated by that mean: the norm stays a promise, the measurement says how fast we really are.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from shared.applications.models import Stage, Status

if TYPE_CHECKING:
    from shared.applications.models import Application

MIN_SAMPLES = 20
# The norms of the process this service replaces ("Типовые временные рамки"), the upper bound of each range.
CEILINGS: dict[Stage, timedelta] = {
    Stage.CONTACT_CONFIRMATION: timedelta(minutes=3),
    Stage.INN_LOOKUP: timedelta(hours=24),  # FNS "Узнать ИНН"; by hand it takes days
    Stage.FNS_CHECK: timedelta(minutes=30),
    Stage.ACTIVATION: timedelta(hours=24),
}
REVIEW_WORKING_DAYS = 3  # manual review, seed: 1-3 working days
# What is still ahead when an application is in a stage (the stage itself first).
_AHEAD: dict[Stage, tuple[Stage, ...]] = {
    Stage.CONTACT_CONFIRMATION: (Stage.CONTACT_CONFIRMATION, Stage.FNS_CHECK, Stage.ACTIVATION),
    Stage.FNS_CHECK: (Stage.FNS_CHECK, Stage.ACTIVATION),
    Stage.INN_LOOKUP: (Stage.INN_LOOKUP, Stage.FNS_CHECK, Stage.ACTIVATION),
    Stage.REVIEW: (Stage.REVIEW, Stage.ACTIVATION),
    Stage.ACTIVATION: (Stage.ACTIVATION,),
}


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the `days`-th working day after `start` (a day off at the end moves forward)."""
    import holidays  # lazy: its calendars cost most of a second to import

    calendar = holidays.RU(years=range(start.year, start.year + 2))
    day = calendar.get_nth_working_day(start.date(), days)
    return datetime.combine(day, time(18, 0), tzinfo=start.tzinfo)


def stage_estimate(stage: Stage, measured: dict[str, tuple[int, float]]) -> timedelta | None:
    ceiling = CEILINGS.get(stage)
    if ceiling is None:
        return None
    count, total = measured.get(stage.value, (0, 0.0))
    if count >= MIN_SAMPLES:
        return min(ceiling, timedelta(seconds=total / count))
    return ceiling


def expected_ready_at(app: Application, measured: dict[str, tuple[int, float]]) -> datetime | None:
    """None when nothing is running towards `ready`: finished, or waiting for the citizen."""
    if app.status is not Status.IN_PROGRESS or app.stage not in _AHEAD:
        return None
    moment = app.updated_at
    for stage in _AHEAD[app.stage]:
        if stage is Stage.REVIEW:
            moment = add_working_days(moment, REVIEW_WORKING_DAYS)
            continue
        estimate = stage_estimate(stage, measured)
        if estimate is not None:
            moment += estimate
    return moment
