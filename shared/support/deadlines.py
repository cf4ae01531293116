"""The 15-day deadline: an application not finished in 15 days opens a support ticket
by itself, once, and its history says so. Run by a scheduled sweep (no Lambda waits for days).

The ticket is an ordinary support ticket (shared/support/tickets.py): the operators' desk lists it, an
answer reaches the citizen, and 10 working days without one file a complaint like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.applications.lifecycle import advance
from shared.applications.models import Status
from shared.applications.ports import REVIEW_QUEUE, ApplicationStore, Shelf, StageStatistics
from shared.core.errors import ConcurrentUpdate
from shared.core.ports import Clock
from shared.support.models import AWAITING
from shared.support.ports import TicketRepository
from shared.support.tickets import open_deadline_ticket

DEADLINE = timedelta(days=15)
OPEN_SHELVES: tuple[Shelf, ...] = (Status.IN_PROGRESS, Status.NEEDS_CLARIFICATION, REVIEW_QUEUE)


@dataclass
class DeadlineDeps:
    repo: ApplicationStore
    stats: StageStatistics
    tickets: TicketRepository
    clock: Clock


@dataclass(frozen=True)
class QueueGauges:
    """What waits on people, for the dashboard: the review queue and the overdue tickets."""

    review_depth: int
    review_oldest_seconds: float
    tickets_overdue: int


def queue_gauges(repo: ApplicationStore, tickets: TicketRepository, now: datetime, page_size: int = 100) -> QueueGauges:
    depth, oldest, token = 0, 0.0, None
    while True:
        page = repo.list_review_queue(page_size, token)
        if page.items and depth == 0:  # oldest first: the first item waits longest
            oldest = max(0.0, (now - page.items[0].updated_at).total_seconds())
        depth += len(page.items)
        token = page.next_token
        if not token:
            break
    overdue, ticket_token = 0, None
    while True:
        found = tickets.list_by_status(AWAITING, page_size, ticket_token, due_before=now)
        overdue += len(found.items)
        ticket_token = found.next_token
        if not ticket_token:
            break
    return QueueGauges(review_depth=depth, review_oldest_seconds=oldest, tickets_overdue=overdue)


def sweep(deps: DeadlineDeps, page_size: int = 100) -> list[str]:
    """Open a ticket for each unfinished application older than the deadline; returns their numbers."""
    now = deps.clock.now()
    cutoff = now - DEADLINE
    opened = []
    for shelf in OPEN_SHELVES:
        token: str | None = None
        while True:
            page = deps.repo.list_created_before(shelf, cutoff, page_size, token)
            for app in page.items:
                if app.deadline_ticket:
                    continue
                number = open_deadline_ticket(deps.tickets, app, now)
                try:
                    advance(
                        deps.repo,
                        deps.stats,
                        app,
                        now=now,
                        status=app.status,
                        stage=app.stage,
                        deadline_ticket=number,
                        note=f"Заявление не завершено за 15 дней: автоматически открыто обращение в поддержку "
                        f"№ {number}. Ответ — в течение 1 рабочего дня.",
                    )
                except ConcurrentUpdate:
                    continue  # it moved meanwhile; the next sweep looks again (the ticket is not duplicated)
                opened.append(number)
            token = page.next_token
            if not token:
                break
    return opened
