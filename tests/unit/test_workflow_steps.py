"""Registry check, activation and failure recording as domain logic, over in-memory adapters."""

from datetime import date

import pytest

from shared.applications.lifecycle import advance
from shared.applications.models import Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from shared.core.errors import ConcurrentUpdate, FnsUnavailable
from shared.verification.ports import FnsRecord
from shared.verification.steps import StepDeps, activate, clerk_form, record_failure, verify
from tests.support.data import CITIZEN, RECORD
from tests.support.fakes import (
    VALID_BODY,
    FakeFns,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryStageStatistics,
)


@pytest.fixture
def world() -> tuple[InMemoryApplications, StepDeps, str]:
    repo = InMemoryApplications()
    clock = FixedClock()
    result = submit(dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c1")
    return repo, StepDeps(repo=repo, stats=InMemoryStageStatistics(), clock=clock), result.application.application_id


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Семёнов", "СЕМЕНОВ"),
        ("  Анна  Мария ", "анна мария"),
        ("Петров - Водкин", "петров-водкин"),
    ],
)
def test_clerk_reads_names_alike(a: str, b: str) -> None:
    assert clerk_form(a) == clerk_form(b)


def test_clerk_still_sees_different_names() -> None:
    assert clerk_form("Иванов") != clerk_form("Иванова")


def test_match_then_activate(world) -> None:
    repo, deps, app_id = world
    assert verify(deps, FakeFns({RECORD.inn: RECORD}), app_id) == "match"
    assert repo.get(app_id).stage is Stage.ACTIVATION
    assert activate(deps, app_id) == "ready"
    assert activate(deps, app_id) == "ready"  # idempotent
    app = repo.get(app_id)
    assert app.status is Status.READY
    assert app.cabinet["features"] == ["declarations", "statements", "payments", "notifications"]
    assert [h.status for h in repo.history(app_id)] == [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.READY]


def test_verify_twice_answers_the_same(world) -> None:
    _, deps, app_id = world
    fns = FakeFns({RECORD.inn: RECORD})
    assert verify(deps, fns, app_id) == "match"
    assert verify(deps, fns, app_id) == "match"
    assert fns.calls == 1


def test_unknown_inn_rejects_with_fix_and_frees_the_inn(world) -> None:
    repo, deps, app_id = world
    assert verify(deps, FakeFns(), app_id) == "not_found"
    app = repo.get(app_id)
    assert app.status is Status.REJECTED
    assert app.rejection_reasons[0].code == "inn_not_found" and app.rejection_reasons[0].fix
    assert repo.locks == {}


def test_mismatch_needs_clarification_with_what_differs(world) -> None:
    repo, deps, app_id = world
    other = FnsRecord(**{**RECORD.__dict__, "last_name": "Петров", "birth_date": date(1991, 1, 1)})
    assert verify(deps, FakeFns({RECORD.inn: other}), app_id) == "mismatch"
    app = repo.get(app_id)
    assert app.status is Status.NEEDS_CLARIFICATION
    assert app.mismatches == ["full_name", "birth_date"]
    assert [a.code for a in app.required_actions] == ["fix_fields", "upload_documents"]
    assert repo.locks  # still holds the INN


def test_fns_fault_propagates_for_retry(world) -> None:
    repo, deps, app_id = world
    with pytest.raises(FnsUnavailable):
        verify(deps, FakeFns({RECORD.inn: RECORD}, failures=1), app_id)
    assert repo.get(app_id).version == 1  # nothing written


def test_stale_writer_loses_cleanly(world) -> None:
    repo, deps, app_id = world
    stale = repo.get(app_id)
    advance(
        repo, deps.stats, stale, now=deps.clock.now(), status=Status.IN_PROGRESS, stage=Stage.ACTIVATION, note="first"
    )
    with pytest.raises(ConcurrentUpdate):
        advance(
            repo, deps.stats, stale, now=deps.clock.now(), status=Status.REJECTED, stage=Stage.COMPLETED, note="second"
        )
    assert repo.get(app_id).stage is Stage.ACTIVATION
    assert [h.note for h in repo.history(app_id)][-1] == "first"


def test_record_failure_makes_an_operator_task_once(world) -> None:
    repo, deps, app_id = world
    assert record_failure(deps, app_id, "FnsUnavailable") == "recorded"
    app = repo.get(app_id)
    assert app.status is Status.IN_PROGRESS and app.required_actions[0].code == "wait_review"
    assert app.failure["error"] == "FnsUnavailable"
    assert record_failure(deps, app_id, "FnsUnavailable") == "unchanged"
    assert record_failure(deps, "missing-id", "X") == "missing"
