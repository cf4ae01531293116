"""The 15-day deadline opens one support ticket per application, and says so in its history."""

from datetime import timedelta

from shared.applications.submission import SubmissionDeps, submit
from shared.support.deadlines import DeadlineDeps, sweep
from shared.support.tickets import open_deadline_ticket
from tests.support.data import CITIZEN
from tests.support.fakes import (
    VALID_BODY,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryStageStatistics,
    InMemoryTickets,
)
from tests.support.identifiers import inn12


def test_only_applications_older_than_15_days_get_a_ticket_once() -> None:
    repo, clock = InMemoryApplications(), FixedClock()
    deps = SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock)
    old = submit(dict(VALID_BODY), CITIZEN, deps, "c").application
    clock.at += timedelta(days=14)
    recent = submit({**VALID_BODY, "inn": inn12("7700000011")}, CITIZEN, deps, "c").application
    clock.at += timedelta(days=1, minutes=1)
    tickets = InMemoryTickets()
    sweeper = DeadlineDeps(repo=repo, stats=InMemoryStageStatistics(), tickets=tickets, clock=clock)
    assert sweep(sweeper) == ["ЛК-000001"]
    assert sweep(sweeper) == []  # once
    aged = repo.get(old.application_id)
    assert aged is not None and aged.deadline_ticket == "ЛК-000001"
    assert "обращение в поддержку № ЛК-000001" in repo.history(old.application_id)[-1].note
    fresh = repo.get(recent.application_id)
    assert fresh is not None and fresh.deadline_ticket is None
    (ticket,) = tickets.tickets.values()  # an ordinary ticket: on the desk, the citizen's own, reachable
    assert (ticket.ticket_id, ticket.status, ticket.channel) == (f"deadline-{old.application_id}", "open", "system")
    assert ticket.owner_sub == old.owner_sub and ticket.phone == "+79123456789"
    assert ticket.inn_masked == "********2259" and ticket.inn_hash == old.inn_hash


def test_a_ticket_already_opened_for_an_application_is_not_opened_again() -> None:
    repo, clock, tickets = InMemoryApplications(), FixedClock(), InMemoryTickets()
    app = submit(dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c").application
    first = open_deadline_ticket(tickets, app, clock.now())
    assert open_deadline_ticket(tickets, app, clock.now()) == first
    assert tickets.counters == {"tickets": 1}
