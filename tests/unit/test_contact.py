"""Contact confirmation rules: code lifetime, tries, resend interval, contact correction."""

from datetime import timedelta

import pytest

from shared.applications.models import Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from shared.contact.confirmation import (
    MAX_TRIES,
    ContactDeps,
    abandon,
    change_contacts,
    confirm,
    resend,
    workflow_waits,
)
from shared.core.errors import DomainError, ErrorKind
from tests.support.data import CITIZEN
from tests.support.fakes import (
    VALID_BODY,
    FakeCallbacks,
    FakeHasher,
    FakeNotifier,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryContactCodes,
    InMemoryStageStatistics,
)


@pytest.fixture
def setup():
    repo, clock = InMemoryApplications(), FixedClock()
    app = submit(dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c").application
    deps = ContactDeps(
        repo=repo,
        codes=InMemoryContactCodes(),
        stats=InMemoryStageStatistics(),
        hasher=FakeHasher(),
        notifier=FakeNotifier(),
        callbacks=FakeCallbacks(),
        clock=clock,
    )
    waiting = workflow_waits(deps, app, "token-1", expired=False)
    return deps, waiting


def test_submission_waits_for_the_code(setup) -> None:
    deps, app = setup
    assert app.stage is Stage.CONTACT_CONFIRMATION and app.required_actions[0].code == "confirm_contact"
    (channel, to, text) = deps.notifier.sent[0]
    assert (channel, to) == ("sms", "+79123456789")
    assert deps.notifier.last_code() in text
    stored = deps.codes.get_code(app.application_id)
    assert deps.notifier.last_code() not in stored.model_dump_json()  # only a keyed hash is kept


def test_right_code_resumes_the_workflow(setup) -> None:
    deps, app = setup
    confirmed = confirm(deps, app, deps.notifier.last_code())
    assert confirmed.stage is Stage.FNS_CHECK and confirmed.required_actions == []
    assert deps.callbacks.resumed == ["token-1"]
    with pytest.raises(DomainError) as again:
        confirm(deps, deps.repo.get(app.application_id), deps.notifier.last_code())
    assert again.value.code == "no_code_pending"


def test_five_wrong_tries_then_locked_until_a_new_code(setup) -> None:
    deps, app = setup
    right = deps.notifier.last_code()
    wrong = "000000" if right != "000000" else "111111"
    for expected_left in range(MAX_TRIES - 1, -1, -1):
        with pytest.raises(DomainError) as caught:
            confirm(deps, app, wrong)
        error = caught.value
        assert (error.code, error.kind, error.extra["tries_left"]) == ("code_invalid", ErrorKind.INVALID, expected_left)
    with pytest.raises(DomainError) as locked:
        confirm(deps, app, right)
    assert (locked.value.code, locked.value.kind) == ("code_locked", ErrorKind.RATE_LIMITED)
    deps.clock.at += timedelta(seconds=61)
    resend(deps, app)
    assert confirm(deps, app, deps.notifier.last_code()).stage is Stage.FNS_CHECK


def test_expired_code(setup) -> None:
    deps, app = setup
    code = deps.notifier.last_code()
    deps.clock.at += timedelta(minutes=10, seconds=1)
    with pytest.raises(DomainError) as caught:
        confirm(deps, app, code)
    assert caught.value.code == "code_expired"
    expired = workflow_waits(deps, deps.repo.get(app.application_id), "token-2", expired=True)
    assert expired.status is Status.NEEDS_CLARIFICATION and expired.required_actions[0].code == "confirm_contact"
    resend(deps, expired)
    confirmed = confirm(deps, deps.repo.get(app.application_id), deps.notifier.last_code())
    assert confirmed.status is Status.IN_PROGRESS and deps.callbacks.resumed == ["token-2"]


def test_resend_at_most_once_a_minute(setup) -> None:
    deps, app = setup
    with pytest.raises(DomainError) as caught:
        resend(deps, app)
    retry_after = caught.value.retry_after
    assert caught.value.code == "resend_too_soon" and retry_after is not None and 1 <= retry_after <= 61
    deps.clock.at += timedelta(seconds=60)
    resend(deps, app)
    assert len(deps.notifier.sent) == 2


def test_corrected_contact_gets_a_new_code(setup) -> None:
    deps, app = setup
    old = deps.notifier.last_code()
    updated = change_contacts(deps, app, {"email": "new@example.ru", "confirmation_channel": "email"})
    assert updated.body.email == "new@example.ru"
    assert deps.notifier.sent[-1][:2] == ("email", "new@example.ru")
    if old != deps.notifier.last_code():
        with pytest.raises(DomainError):
            confirm(deps, updated, old)
    assert confirm(deps, deps.repo.get(app.application_id), deps.notifier.last_code()).stage is Stage.FNS_CHECK


def test_abandoned_after_thirty_days_is_rejected_and_frees_the_inn(setup) -> None:
    deps, app = setup
    rejected = abandon(deps, app)
    assert rejected.status is Status.REJECTED and rejected.rejection_reasons[0].code == "contact_not_confirmed"
    assert deps.repo.locks == {}
