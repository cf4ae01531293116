"""Office and partner applications find their citizen by SNILS, only through a trusted record."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.applications.models import Channel
from shared.applications.office import ClaimDeps, claim_for
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.journal.access import AccessAction, Accessor, ActorRole, entries, pending_subject
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock, InMemoryApplications, InMemoryJournal

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
OFFICE = Origin(allowed_channels=frozenset({Channel.OFFICE}), default_channel=Channel.OFFICE, operator_id="op-7")


def _office_application(repo: InMemoryApplications) -> str:
    deps = SubmissionDeps(repo=repo, hasher=FakeHasher(), workflow=FakeWorkflow(), clock=FixedClock())
    result = submit({**VALID_BODY, "channel": "office"}, OFFICE, deps, "corr-1")
    return result.application.application_id


def test_office_application_carries_the_operator_and_no_owner() -> None:
    repo = InMemoryApplications()
    app = repo.apps[_office_application(repo)]
    assert app.operator_id == "op-7"
    assert app.owner_sub is None
    assert app.snils_hash == FakeHasher().digest("snils:11223344595")
    assert "сотрудником" in repo.hist[app.application_id][0].note


def test_trusted_citizen_with_the_same_snils_claims_it_and_its_journal() -> None:
    repo, journal = InMemoryApplications(), InMemoryJournal()
    app_id = _office_application(repo)
    operator = Accessor(role=ActorRole.OPERATOR, actor_id="op-7", source="api 10.0.0.1")
    journal.record(entries(operator, AccessAction.CREATE, "application", [(None, app_id)], NOW))
    assert journal.entries[0].subject_sub == pending_subject("application", app_id)

    claimed = claim_for(
        ClaimDeps(repo, FakeHasher(), journal), "citizen-1", {"trusted": True, "snils": "112-233-445 95"}, NOW
    )

    assert claimed == [app_id]
    assert repo.apps[app_id].owner_sub == "citizen-1"
    mine = journal.list("citizen-1", 10, None).items
    assert {(e.actor_role, e.action) for e in mine} == {
        (ActorRole.OPERATOR, AccessAction.CREATE),
        (ActorRole.SYSTEM, AccessAction.CHANGE),
    }
    assert (
        claim_for(
            ClaimDeps(repo, FakeHasher(), journal), "citizen-2", {"trusted": True, "snils": "112-233-445 95"}, NOW
        )
        == []
    )


def test_untrusted_or_other_snils_claims_nothing() -> None:
    repo, journal = InMemoryApplications(), InMemoryJournal()
    app_id = _office_application(repo)
    deps = ClaimDeps(repo, FakeHasher(), journal)
    assert claim_for(deps, "c", {"trusted": False, "snils": "112-233-445 95"}, NOW) == []
    assert claim_for(deps, "c", {"trusted": True, "snils": "141-008-408 00"}, NOW) == []
    assert claim_for(deps, "c", None, NOW) == []
    assert repo.apps[app_id].owner_sub is None
