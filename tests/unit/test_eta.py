"""Expected completion: ceilings, measured estimates, working days of the Russian calendar."""

from datetime import UTC, datetime, timedelta

from shared.applications.eta import MIN_SAMPLES, add_working_days, expected_ready_at
from shared.applications.models import Application, Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from tests.support.data import CITIZEN
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock, InMemoryApplications

AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday


def app_in(stage: Stage, status: Status = Status.IN_PROGRESS) -> Application:
    repo = InMemoryApplications()
    app = submit(
        dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), FixedClock()), "c"
    ).application
    return app.model_copy(update={"stage": stage, "status": status, "updated_at": AT})


def test_working_days_follow_the_tax_code() -> None:
    assert add_working_days(AT, 1).date().isoformat() == "2026-11-30"  # Friday → Monday
    new_year = datetime(2026, 12, 30, 12, tzinfo=UTC)
    # 31 December 2026 is a day off (moved from 4 January), then the January holidays
    assert add_working_days(new_year, 2).date().isoformat() == "2027-01-12"
    moved = datetime(2025, 10, 31, 12, tzinfo=UTC)
    assert add_working_days(moved, 1).date().isoformat() == "2025-11-01"  # a working Saturday


def test_ceilings_without_measurements() -> None:
    assert expected_ready_at(app_in(Stage.FNS_CHECK), {}) == AT + timedelta(minutes=30, hours=24)
    assert expected_ready_at(app_in(Stage.ACTIVATION), {}) == AT + timedelta(hours=24)


def test_measured_times_replace_the_ceiling_when_enough_and_faster() -> None:
    measured = {"fns_check": (MIN_SAMPLES, MIN_SAMPLES * 0.5), "activation": (MIN_SAMPLES, MIN_SAMPLES * 0.2)}
    assert expected_ready_at(app_in(Stage.FNS_CHECK), measured) == AT + timedelta(seconds=0.7)
    too_few = {"fns_check": (MIN_SAMPLES - 1, 1.0)}
    assert expected_ready_at(app_in(Stage.FNS_CHECK), too_few) == AT + timedelta(minutes=30, hours=24)
    slow = {"activation": (MIN_SAMPLES, MIN_SAMPLES * 100_000.0)}
    assert expected_ready_at(app_in(Stage.ACTIVATION), slow) == AT + timedelta(hours=24)


def test_review_is_counted_in_working_days() -> None:
    eta = expected_ready_at(app_in(Stage.REVIEW), {})
    assert eta is not None and eta.date().isoformat() == "2026-12-03"  # 3 working days, then activation


def test_no_date_when_nothing_moves_towards_ready() -> None:
    assert expected_ready_at(app_in(Stage.CLARIFICATION, Status.NEEDS_CLARIFICATION), {}) is None
    assert expected_ready_at(app_in(Stage.COMPLETED, Status.READY), {}) is None
