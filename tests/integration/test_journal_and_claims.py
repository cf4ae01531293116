"""The access journal and SNILS claims over moto: pages, newest first, reassignment, the claim race."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.dynamodb.applications import DynamoApplicationStore
from shared.adapters.dynamodb.journal import DynamoAccessJournal
from shared.adapters.dynamodb.stage_statistics import DynamoStageStatistics
from shared.applications.lifecycle import advance
from shared.applications.models import Channel, Status
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.core.errors import ConcurrentUpdate, InvalidPageToken
from shared.journal.access import AccessAction, Accessor, ActorRole, creation_entry, entries, pending_subject
from tests.integration.conftest import Cloud
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
OPERATOR = Accessor(role=ActorRole.OPERATOR, actor_id="op-1", source="api 10.1.1.1")


def test_pages_newest_first_and_tokens_stay_with_their_journal(cloud: Cloud) -> None:
    journal = DynamoAccessJournal(cloud.table)
    batch = [
        e
        for i in range(30)
        for e in entries(OPERATOR, AccessAction.READ, "application", [("sub-1", f"a{i}")], T0 + timedelta(seconds=i))
    ]
    journal.record(batch)  # more than one BatchWriteItem
    journal.record(entries(OPERATOR, AccessAction.READ, "application", [("sub-2", "other")], T0))
    seen, token = [], None
    while True:
        page = journal.list("sub-1", 7, token)
        seen.extend(page.items)
        token = page.next_token
        if token is None:
            break
    assert [e.resource_id for e in seen] == [f"a{i}" for i in reversed(range(30))]
    first = journal.list("sub-1", 7, None)
    with pytest.raises(InvalidPageToken):
        journal.list("sub-2", 7, first.next_token)  # someone else's position is refused
    stored = cloud.items()
    assert all("ttl" in i for i in stored if i["pk"]["S"].startswith("JOURNAL#"))


def test_creation_entry_written_twice_is_one_line(cloud: Cloud) -> None:
    journal = DynamoAccessJournal(cloud.table)
    for _ in range(2):
        journal.record([creation_entry(OPERATOR, "application", "app-1", None, T0)])
    pending = journal.list(pending_subject("application", "app-1"), 10, None).items
    assert len(pending) == 1
    assert journal.reassign(pending_subject("application", "app-1"), "sub-9") == 1
    assert journal.list(pending_subject("application", "app-1"), 10, None).items == []
    assert [e.action for e in journal.list("sub-9", 10, None).items] == [AccessAction.CREATE]


def test_claim_wins_over_a_workflow_step_holding_the_old_item(cloud: Cloud) -> None:
    repo = DynamoApplicationStore(cloud.table)
    origin = Origin(allowed_channels=frozenset({Channel.OFFICE}), default_channel=Channel.OFFICE, operator_id="op-1")
    deps = SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), FixedClock())
    app = submit({**VALID_BODY, "channel": "office"}, origin, deps, "corr").application
    assert app.snils_hash
    assert [a.application_id for a in repo.list_claimable(app.snils_hash, 10)] == [app.application_id]
    held = repo.get(app.application_id)
    assert held is not None

    assert repo.claim(app.application_id, "citizen-1", app.snils_hash)
    assert not repo.claim(app.application_id, "citizen-2", app.snils_hash)  # once only
    with pytest.raises(ConcurrentUpdate):  # the stale full-item write cannot undo the claim
        advance(repo, DynamoStageStatistics(cloud.table), held, now=T0, status=Status.READY, stage=held.stage, note="x")
    assert repo.list_claimable(app.snils_hash, 10) == []
    owned = repo.list_by_owner("citizen-1", 10, None).items
    assert [a.application_id for a in owned] == [app.application_id]
