"""The shared submission path: duplicates, partner idempotency, healing a lost workflow start."""

import pytest

from shared.applications.models import Channel, Status
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.core.errors import DuplicateApplication, InvalidApplication
from tests.support.data import partner
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock, InMemoryApplications


def citizen(sub: str) -> Origin:
    return Origin(
        allowed_channels=frozenset({Channel.PORTAL, Channel.MOBILE}), default_channel=Channel.PORTAL, owner_sub=sub
    )


PARTNER = partner("bank-1", "r-1")


@pytest.fixture
def deps() -> SubmissionDeps:
    return SubmissionDeps(InMemoryApplications(), FakeHasher(), FakeWorkflow(), FixedClock())


def test_submit_stores_and_starts(deps) -> None:
    result = submit(dict(VALID_BODY), citizen("u1"), deps, "c1")
    app = result.application
    assert result.created and app.status is Status.IN_PROGRESS
    assert deps.workflow.started == [app.application_id]
    assert app.inn_hash and "500100732259" not in app.inn_hash
    assert deps.repo.get(app.application_id).execution_arn.endswith(app.application_id)


def test_invalid_stores_nothing(deps) -> None:
    with pytest.raises(InvalidApplication):
        submit({**VALID_BODY, "inn": "500100732258"}, citizen("u1"), deps, "c1")
    assert deps.repo.apps == {} and deps.workflow.started == []


def test_channel_not_allowed_is_a_field_error(deps) -> None:
    with pytest.raises(InvalidApplication) as caught:
        submit({**VALID_BODY, "channel": "office"}, citizen("u1"), deps, "c1")
    assert [(e.field, e.code) for e in caught.value.errors] == [("channel", "channel_not_allowed")]


def test_second_active_application_refused_id_only_for_owner(deps) -> None:
    first = submit(dict(VALID_BODY), citizen("u1"), deps, "c1").application
    with pytest.raises(DuplicateApplication) as caught:
        submit(dict(VALID_BODY), citizen("u2"), deps, "c2")
    assert caught.value.existing_id == first.application_id and caught.value.owner_sub == "u1"


def test_lost_start_is_healed_by_the_retry(deps) -> None:
    deps.workflow.fail_next = True
    with pytest.raises(RuntimeError):
        submit(dict(VALID_BODY), citizen("u1"), deps, "c1")
    (stored,) = deps.repo.apps.values()
    assert stored.execution_arn is None
    with pytest.raises(DuplicateApplication):
        submit(dict(VALID_BODY), citizen("u1"), deps, "c1")
    assert deps.workflow.started == [stored.application_id]


def test_partner_message_twice_makes_one_application(deps) -> None:
    first = submit({**VALID_BODY, "channel": "partner"}, PARTNER, deps, "p")
    again = submit({**VALID_BODY, "channel": "partner"}, PARTNER, deps, "p")
    assert first.created and not again.created
    assert again.application.application_id == first.application.application_id
    assert len(deps.repo.apps) == 1 and first.application.channel is Channel.PARTNER
