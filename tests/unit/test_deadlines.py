"""The 15-day deadline opens one support ticket per application, and says so in its history."""

from datetime import timedelta

from shared.deadlines import DeadlineDeps, sweep
from shared.submission import SubmissionDeps, submit
from tests.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock, InMemoryRepository
from tests.unit.test_identifiers import _inn12
from tests.unit.test_workflow_steps import CITIZEN


def test_only_applications_older_than_15_days_get_a_ticket_once() -> None:
    repo, clock = InMemoryRepository(), FixedClock()
    deps = SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock)
    old = submit(dict(VALID_BODY), CITIZEN, deps, "c").application
    clock.at += timedelta(days=14)
    recent = submit({**VALID_BODY, "inn": _inn12("7700000011")}, CITIZEN, deps, "c").application
    clock.at += timedelta(days=1, minutes=1)
    sweeper = DeadlineDeps(repo=repo, clock=clock)
    assert sweep(sweeper) == ["ЛК-000001"]
    assert sweep(sweeper) == []  # once
    assert repo.get(old.application_id).deadline_ticket == "ЛК-000001"
    assert "обращение в поддержку № ЛК-000001" in repo.history(old.application_id)[-1].note
    assert repo.get(recent.application_id).deadline_ticket is None
