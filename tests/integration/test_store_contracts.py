"""One set of tests for each store: its in-memory fake (tests/support/fakes.py) and its DynamoDB
adapter over moto run the same cases, so a fake cannot drift from what the table does.

Each test receives its store from a fixture parametrized over `memory` and `dynamodb`; only the
behaviours the domain relies on are pinned (conditional writes, version checks, locks, ordering,
paging with opaque tokens that only continue their own list, atomic counters).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import boto3
import pytest
from moto import mock_aws

from shared.adapters.dynamodb.applications import DynamoApplicationStore
from shared.adapters.dynamodb.changes import DynamoChangeRequests
from shared.adapters.dynamodb.contact_codes import DynamoContactCodes
from shared.adapters.dynamodb.documents import DynamoDocumentRecords
from shared.adapters.dynamodb.journal import DynamoAccessJournal
from shared.adapters.dynamodb.stage_statistics import DynamoStageStatistics
from shared.adapters.dynamodb.table import create_tables
from shared.adapters.dynamodb.tickets import DynamoTicketRepository
from shared.applications.models import Application, Channel, HistoryEntry, Stage, Status
from shared.applications.ports import REVIEW_QUEUE, ApplicationStore, Claims, StageStatistics, Transition
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.contact.ports import ContactCode, ContactCodeStore
from shared.core import clients
from shared.core.errors import ConcurrentUpdate, DuplicateApplication, DuplicatePartnerRequest, InvalidPageToken
from shared.core.paging import Page
from shared.journal.access import AccessAction, AccessEntry, ActorRole
from shared.journal.ports import AccessJournal
from shared.profile.changes import ChangeRequest, Changes, ChangeStatus
from shared.profile.ports import ChangeRequestStore
from shared.review.ports import DocumentRecords
from shared.support.models import Author, Complaint, Ticket, TicketChannel, TicketMessage, TicketStatus
from shared.support.ports import TicketRepository
from tests.support.fakes import (
    VALID_BODY,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryChangeRequests,
    InMemoryContactCodes,
    InMemoryDocumentRecords,
    InMemoryJournal,
    InMemoryStageStatistics,
    InMemoryTickets,
)
from tests.support.moto_env import REGION, use_moto_environment

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture(params=["memory", "dynamodb"])
def table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """None for the fakes; the name of a fresh moto table (created from table.py) for the adapters."""
    if request.param == "memory":
        yield None
        return
    use_moto_environment(monkeypatch)
    with mock_aws():
        clients.reset()
        create_tables(boto3.client("dynamodb", region_name=REGION), "applications", "idempotency")
        yield "applications"
        clients.reset()


@pytest.fixture
def applications(table: str | None) -> Any:
    """ApplicationStore and Claims (one adapter serves both)."""
    store: InMemoryApplications | DynamoApplicationStore = (
        InMemoryApplications() if table is None else DynamoApplicationStore(table)
    )
    ports: tuple[ApplicationStore, Claims] = (store, store)  # both implement both ports (mypy checks it)
    return ports[0]


def _all(fetch: Callable[[str | None], Page[T]]) -> tuple[list[T], int]:
    """Every item of a paged list, and how many pages it took."""
    items: list[T] = []
    token: str | None = None
    pages = 0
    while True:
        page = fetch(token)
        items += page.items
        pages += 1
        token = page.next_token
        if token is None:
            return items, pages


# --- applications ------------------------------------------------------------------------------------
class Builder:
    """Applications with distinct ids, INN hashes and times, shaped as submission makes them."""

    def __init__(self) -> None:
        origin = Origin(allowed_channels=frozenset({Channel.PORTAL}), default_channel=Channel.PORTAL, owner_sub="c-0")
        scratch = InMemoryApplications()
        deps = SubmissionDeps(scratch, FakeHasher(), FakeWorkflow(), FixedClock())
        self.template = submit(dict(VALID_BODY), origin, deps, "corr").application
        self.history = scratch.history(self.template.application_id)[0]
        self.at = T0

    def app(self, **changes: Any) -> Application:
        self.at += timedelta(seconds=1)
        fields: dict[str, Any] = {
            "application_id": str(uuid.uuid4()),
            "inn_hash": uuid.uuid4().hex,
            "created_at": self.at,
            "updated_at": self.at,
            "execution_arn": None,
        }
        return self.template.model_copy(update={**fields, **changes})

    def entry(self, app: Application, note: str = "") -> HistoryEntry:
        return self.history.model_copy(
            update={"status": app.status, "stage": app.stage, "at": app.updated_at, "note": note}
        )

    def create(self, store: ApplicationStore, *, lock_inn: bool = True, **changes: Any) -> Application:
        app = self.app(**changes)
        store.create(app, self.entry(app, "created"), lock_inn=lock_inn)
        return app

    def moved(self, app: Application, **changes: Any) -> Transition:
        self.at += timedelta(seconds=1)
        updated = app.model_copy(update={"updated_at": self.at, "version": app.version + 1, **changes})
        return Transition(application=updated, expected_version=app.version, history=self.entry(updated, "moved"))


@pytest.fixture
def build() -> Builder:
    return Builder()


def test_create_stores_the_application_and_its_first_history_line(applications: Any, build: Builder) -> None:
    app = build.create(applications, owner_sub="citizen-1")
    assert applications.get(app.application_id) == app
    assert [h.note for h in applications.history(app.application_id)] == ["created"]
    assert applications.get("no-such-id") is None
    assert applications.history("no-such-id") == []


def test_the_inn_lock_refuses_a_second_application_and_names_the_first(applications: Any, build: Builder) -> None:
    first = build.create(applications, owner_sub="citizen-1")
    with pytest.raises(DuplicateApplication) as refused:
        build.create(applications, owner_sub="citizen-2", inn_hash=first.inn_hash)
    assert (refused.value.existing_id, refused.value.owner_sub) == (first.application_id, "citizen-1")
    # without taking the lock (an office draft, an INN still to be found) the same INN is stored
    build.create(applications, lock_inn=False, owner_sub="citizen-3", inn_hash=first.inn_hash)
    found, _ = _all(lambda token: applications.list_by_inn_hash(first.inn_hash, 10, token))
    assert len(found) == 2


def test_a_partner_request_is_taken_once(applications: Any, build: Builder) -> None:
    first = build.create(applications, partner_id="bank-1", request_id="r-1", channel=Channel.PARTNER)
    assert applications.find_by_partner_request("bank-1", "r-1") == first.application_id
    assert applications.find_by_partner_request("bank-1", "r-2") is None
    with pytest.raises(DuplicatePartnerRequest) as refused:
        build.create(applications, partner_id="bank-1", request_id="r-1", channel=Channel.PARTNER)
    assert refused.value.existing_id == first.application_id
    assert applications.get(first.application_id) == first


def test_a_transition_checks_the_version_and_loses_cleanly(applications: Any, build: Builder) -> None:
    app = build.create(applications)
    winner = build.moved(app, stage=Stage.FNS_CHECK)
    loser = build.moved(app, status=Status.REJECTED, stage=Stage.COMPLETED)
    applications.transition(winner)
    with pytest.raises(ConcurrentUpdate):
        applications.transition(loser)
    stored = applications.get(app.application_id)
    assert stored == winner.application and stored.version == 2
    assert [h.note for h in applications.history(app.application_id)] == ["created", "moved"]


def test_a_rejection_releases_the_inn_and_a_found_inn_is_locked(applications: Any, build: Builder) -> None:
    app = build.create(applications)
    rejected = build.moved(app, status=Status.REJECTED, stage=Stage.COMPLETED)
    applications.transition(
        Transition(rejected.application, rejected.expected_version, rejected.history, release_inn=True)
    )
    again = build.create(applications, inn_hash=app.inn_hash)  # the INN is free again

    found_later = build.create(applications, lock_inn=False, inn_hash=None)
    change = build.moved(found_later, inn_hash=again.inn_hash)
    with pytest.raises(DuplicateApplication) as refused:
        applications.transition(
            Transition(change.application, change.expected_version, change.history, acquire_inn=True)
        )
    assert refused.value.existing_id == again.application_id
    assert applications.get(found_later.application_id) == found_later  # nothing of the change stored


def test_set_execution(applications: Any, build: Builder) -> None:
    app = build.create(applications)
    applications.set_execution(app.application_id, "arn:aws:states:eu-west-1:1:execution:onboarding:x")
    stored = applications.get(app.application_id)
    assert stored is not None and stored.execution_arn == "arn:aws:states:eu-west-1:1:execution:onboarding:x"


def test_a_citizens_list_pages_newest_first_and_a_token_only_continues_its_list(
    applications: Any, build: Builder
) -> None:
    mine = [build.create(applications, owner_sub="citizen-1") for _ in range(5)]
    build.create(applications, owner_sub="citizen-2")
    listed, pages = _all(lambda token: applications.list_by_owner("citizen-1", 2, token))
    assert [a.application_id for a in listed] == [a.application_id for a in reversed(mine)]
    assert pages == 3
    first = applications.list_by_owner("citizen-1", 2, None)
    assert first.next_token is not None
    with pytest.raises(InvalidPageToken):
        applications.list_by_owner("citizen-2", 2, first.next_token)  # someone else's token
    with pytest.raises(InvalidPageToken):
        applications.list_by_owner("citizen-1", 2, "not a token")


def test_the_status_lists_and_the_review_queue(applications: Any, build: Builder) -> None:
    working = [build.create(applications) for _ in range(3)]
    in_review = build.create(applications, stage=Stage.REVIEW)
    ready = build.create(applications, status=Status.READY, stage=Stage.COMPLETED)
    listed, _ = _all(lambda token: applications.list_by_status("in_progress", 2, token))
    assert [a.application_id for a in listed] == [a.application_id for a in working]  # oldest first, no review
    queue, _ = _all(lambda token: applications.list_review_queue(2, token))
    assert [a.application_id for a in queue] == [in_review.application_id]
    assert [a.application_id for a in applications.list_by_status("ready", 10, None).items] == [ready.application_id]


def test_created_before_reads_one_shelf(applications: Any, build: Builder) -> None:
    old = [build.create(applications) for _ in range(3)]
    old_review = build.create(applications, stage=Stage.REVIEW)
    # a whole second: stored times are ISO strings compared as text, so the cutoff's fraction
    # would not order against a time stored without one (the sweep's deadline is 15 days)
    cutoff = build.at + timedelta(seconds=1)
    build.at += timedelta(seconds=1)
    build.create(applications)  # too young
    found, _ = _all(lambda token: applications.list_created_before(Status.IN_PROGRESS, cutoff, 2, token))
    assert sorted(a.application_id for a in found) == sorted(a.application_id for a in old)
    queued, _ = _all(lambda token: applications.list_created_before(REVIEW_QUEUE, cutoff, 2, token))
    assert [a.application_id for a in queued] == [old_review.application_id]


def test_claims(applications: Any, build: Builder) -> None:
    claims: Claims = applications
    unowned = build.create(applications, owner_sub=None, snils_hash="snils-h", channel=Channel.OFFICE)
    build.create(applications, owner_sub=None, snils_hash="other-h", channel=Channel.OFFICE)
    assert [a.application_id for a in claims.list_claimable("snils-h", 10)] == [unowned.application_id]
    assert not claims.claim(unowned.application_id, "citizen-1", "other-h")  # not this person's
    assert claims.claim(unowned.application_id, "citizen-1", "snils-h")
    assert not claims.claim(unowned.application_id, "citizen-2", "snils-h")  # once only
    assert claims.list_claimable("snils-h", 10) == []
    stored = applications.get(unowned.application_id)
    assert stored.owner_sub == "citizen-1" and stored.version == unowned.version + 1
    assert [a.application_id for a in applications.list_by_owner("citizen-1", 10, None).items] == [
        unowned.application_id
    ]
    with pytest.raises(ConcurrentUpdate):  # a writer holding the unclaimed item cannot undo the claim
        applications.transition(build.moved(unowned, stage=Stage.FNS_CHECK))


# --- stage statistics, contact codes, documents ------------------------------------------------------
@pytest.fixture
def stats(table: str | None) -> StageStatistics:
    store: StageStatistics = InMemoryStageStatistics() if table is None else DynamoStageStatistics(table)
    return store


def test_stage_times_add_up(stats: StageStatistics) -> None:
    assert stats.stage_times() == {}
    stats.record_stage_time("fns_check", 1.5)
    stats.record_stage_time("fns_check", 2.25)
    stats.record_stage_time("activation", -3)  # a clock step back counts as no time
    assert stats.stage_times() == {"fns_check": (2, 3.75), "activation": (1, 0.0)}


@pytest.fixture
def codes(table: str | None) -> ContactCodeStore:
    store: ContactCodeStore = InMemoryContactCodes() if table is None else DynamoContactCodes(table)
    return store


def _code(code_hash: str = "h1") -> ContactCode:
    return ContactCode(code_hash=code_hash, issued_at=T0, expires_at=T0 + timedelta(minutes=10))


def test_a_code_is_replaced_counted_and_used_once(codes: ContactCodeStore) -> None:
    assert codes.get_code("app-1") is None
    codes.put_code("app-1", _code("h1"))
    codes.put_code("app-1", _code("h2"))  # a resend replaces the code
    assert codes.get_code("app-1") == _code("h2")
    assert codes.count_wrong_try("app-1", 0)
    assert not codes.count_wrong_try("app-1", 0)  # a concurrent try that saw the same count
    assert codes.get_code("app-1").attempts == 1  # type: ignore[union-attr]
    assert not codes.delete_code("app-1", "h1")  # the replaced code
    assert codes.delete_code("app-1", "h2")
    assert not codes.delete_code("app-1", "h2")  # used up
    assert codes.get_code("app-1") is None
    assert not codes.count_wrong_try("app-1", 1)


@pytest.fixture
def documents(table: str | None) -> DocumentRecords:
    store: DocumentRecords = InMemoryDocumentRecords() if table is None else DynamoDocumentRecords(table)
    return store


def test_document_records(documents: DocumentRecords) -> None:
    assert documents.list_documents("app-1") == []
    documents.put_document("app-1", {"document_id": "d1", "type": "passport", "status": "requested"})
    documents.put_document("app-1", {"document_id": "d2", "type": "snils", "status": "requested"})
    documents.put_document("app-1", {"document_id": "d1", "type": "passport", "status": "uploaded", "size": 2048})
    documents.put_document("app-2", {"document_id": "d9", "type": "other", "status": "requested"})
    assert documents.get_document("app-1", "d1") == {
        "document_id": "d1",
        "type": "passport",
        "status": "uploaded",
        "size": 2048,
    }
    assert documents.get_document("app-1", "d9") is None
    listed = documents.list_documents("app-1")
    assert [(d["document_id"], d["status"]) for d in listed] == [("d1", "uploaded"), ("d2", "requested")]


# --- support tickets ---------------------------------------------------------------------------------
@pytest.fixture
def tickets(table: str | None) -> TicketRepository:
    store: TicketRepository = InMemoryTickets() if table is None else DynamoTicketRepository(table)
    return store


def _ticket(n: int, owner: str | None = "citizen-1", **changes: Any) -> Ticket:
    at = T0 + timedelta(minutes=n)
    fields: dict[str, Any] = {
        "ticket_id": f"t-{n}",
        "number": f"ЛК-{n:06d}",
        "status": TicketStatus.OPEN,
        "channel": TicketChannel.FORM,
        "owner_sub": owner,
        "created_at": at,
        "updated_at": at,
        "description": "Не приходит код",
        "answer_due_at": at + timedelta(days=1),
        "complaint_due_at": at + timedelta(days=14),
    }
    return Ticket.model_validate({**fields, **changes})


def _message(n: int, at: datetime) -> TicketMessage:
    return TicketMessage(message_id=f"m-{n}", at=at, author=Author.CITIZEN, text=f"сообщение {n}")


def test_ticket_numbers_are_never_reused(tickets: TicketRepository) -> None:
    assert [tickets.next_number("tickets") for _ in range(3)] == [1, 2, 3]
    assert tickets.next_number("complaints") == 1


def test_a_ticket_is_created_once_and_saved_by_version(tickets: TicketRepository) -> None:
    ticket = _ticket(1)
    assert tickets.create(ticket, [_message(1, ticket.created_at)])
    assert not tickets.create(ticket)
    assert tickets.get("t-1") == ticket and tickets.get("t-404") is None
    answered = ticket.model_copy(update={"status": TicketStatus.ANSWERED, "version": 2})
    later = ticket.created_at + timedelta(hours=1)
    tickets.save(answered, 1, [_message(2, later), _message(3, later)])
    with pytest.raises(ConcurrentUpdate):
        tickets.save(ticket.model_copy(update={"version": 2}), 1, [_message(4, later)])
    assert tickets.get("t-1") == answered
    assert [m.message_id for m in tickets.messages("t-1")] == ["m-1", "m-2", "m-3"]


def test_a_complaint_is_filed_once(tickets: TicketRepository) -> None:
    ticket = _ticket(1)
    tickets.create(ticket)
    complaint = Complaint(number="Ж-000001", filed_at=T0 + timedelta(days=15))
    filed = ticket.model_copy(update={"complaint": complaint, "version": 2})
    tickets.save(filed, 1, complaint=complaint)
    with pytest.raises(ConcurrentUpdate):
        tickets.save(filed.model_copy(update={"version": 3}), 2, complaint=complaint)
    assert tickets.get("t-1") == filed


def test_ticket_lists_page_and_filter(tickets: TicketRepository) -> None:
    for n in range(1, 6):
        tickets.create(_ticket(n))
    tickets.create(_ticket(6, owner="citizen-2"))
    tickets.create(_ticket(7, status=TicketStatus.IN_PROGRESS))
    tickets.create(_ticket(8, status=TicketStatus.RESOLVED))
    mine, pages = _all(lambda token: tickets.list_by_owner("citizen-1", 2, token))
    assert [t.ticket_id for t in mine] == ["t-8", "t-7", "t-5", "t-4", "t-3", "t-2", "t-1"] and pages == 4
    first = tickets.list_by_owner("citizen-1", 2, None)
    with pytest.raises(InvalidPageToken):
        tickets.list_by_owner("citizen-2", 2, first.next_token)
    awaiting = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS]
    listed, _ = _all(lambda token: tickets.list_by_status(awaiting, 3, token))
    assert [t.ticket_id for t in listed] == ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7"]
    due = T0 + timedelta(days=1, minutes=3)  # targets of t-1, t-2 earlier; t-7 is later
    overdue, _ = _all(lambda token: tickets.list_by_status(awaiting, 10, token, due_before=due))
    assert [t.ticket_id for t in overdue] == ["t-1", "t-2"]


# --- the access journal ------------------------------------------------------------------------------
@pytest.fixture
def journal(table: str | None) -> AccessJournal:
    store: AccessJournal = InMemoryJournal() if table is None else DynamoAccessJournal(table)
    return store


def _entry(subject: str, minute: int) -> AccessEntry:
    return AccessEntry(
        subject_sub=subject,
        at=T0 + timedelta(minutes=minute),
        actor_role=ActorRole.OPERATOR,
        actor_id="op-1",
        action=AccessAction.READ,
        resource="application",
        resource_id="app-1",
        source="api 10.0.0.1",
    )


def test_the_journal_lists_newest_first_and_moves_entries(journal: AccessJournal) -> None:
    entries = [_entry("pending:application:a", m) for m in range(5)]
    journal.record(entries)
    journal.record([_entry("citizen-2", 9)])
    listed, pages = _all(lambda token: journal.list("pending:application:a", 2, token))
    assert [e.entry_id for e in listed] == [e.entry_id for e in reversed(entries)] and pages == 3
    first = journal.list("pending:application:a", 2, None)
    with pytest.raises(InvalidPageToken):
        journal.list("citizen-2", 2, first.next_token)
    assert journal.reassign("pending:application:a", "citizen-1") == 5
    assert journal.list("pending:application:a", 10, None).items == []
    moved = journal.list("citizen-1", 10, None).items
    assert [e.entry_id for e in moved] == [e.entry_id for e in reversed(entries)]
    assert {e.subject_sub for e in moved} == {"citizen-1"}


# --- profile change requests -------------------------------------------------------------------------
@pytest.fixture
def changes(table: str | None) -> ChangeRequestStore:
    store: ChangeRequestStore = InMemoryChangeRequests() if table is None else DynamoChangeRequests(table)
    return store


def _request(n: int, owner: str = "citizen-1", status: ChangeStatus = ChangeStatus.IN_REVIEW) -> ChangeRequest:
    at = T0 + timedelta(minutes=n)
    return ChangeRequest(
        request_id=f"cr-{n}",
        owner_sub=owner,
        application_id="app-1",
        changes=Changes(phone="+79123456789"),
        status=status,
        required_documents=[],
        created_at=at,
        updated_at=at,
    )


def test_change_requests_are_saved_by_version_and_listed(changes: ChangeRequestStore) -> None:
    for n in range(1, 4):
        changes.create(_request(n))
    changes.create(_request(4, owner="citizen-2", status=ChangeStatus.AWAITING_DOCUMENTS))
    first = _request(1)
    approved = first.model_copy(update={"status": ChangeStatus.APPROVED, "version": 2})
    changes.save(approved, 1)
    with pytest.raises(ConcurrentUpdate):
        changes.save(first.model_copy(update={"status": ChangeStatus.REJECTED, "version": 2}), 1)
    assert changes.get("cr-1") == approved and changes.get("cr-404") is None
    mine, pages = _all(lambda token: changes.list_by_owner("citizen-1", 2, token))
    assert [r.request_id for r in mine] == ["cr-3", "cr-2", "cr-1"] and pages == 2
    queue, _ = _all(lambda token: changes.list_by_status(ChangeStatus.IN_REVIEW.value, 1, token))
    assert [r.request_id for r in queue] == ["cr-2", "cr-3"]  # oldest first; cr-1 left the queue
    page = changes.list_by_owner("citizen-1", 2, None)
    with pytest.raises(InvalidPageToken):
        changes.list_by_owner("citizen-2", 2, page.next_token)
