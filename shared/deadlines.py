"""The 15-day deadline (DOMAIN.md): an application not finished in 15 days opens a support ticket
by itself, once, and its history says so. Run by a scheduled sweep (no Lambda waits for days).

The ticket is an ordinary support ticket (shared/tickets.py): the operators' desk lists it, an
answer reaches the citizen, and 10 working days without one file a complaint like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.errors import ConcurrentUpdate
from shared.lifecycle import advance
from shared.ports import ApplicationRepository, Clock
from shared.tickets import TicketRepository, open_deadline_ticket

DEADLINE = timedelta(days=15)
OPEN_PARTITIONS = ("STATUS#in_progress", "STATUS#needs_clarification", "QUEUE#review")


@dataclass
class DeadlineDeps:
    repo: ApplicationRepository
    tickets: TicketRepository
    clock: Clock


def sweep(deps: DeadlineDeps, page_size: int = 100) -> list[str]:
    """Open a ticket for each unfinished application older than the deadline; returns their numbers."""
    now = deps.clock.now()
    cutoff = now - DEADLINE
    opened = []
    for partition in OPEN_PARTITIONS:
        token: str | None = None
        while True:
            page = deps.repo.list_created_before(partition, cutoff, page_size, token)
            for app in page.items:
                if app.deadline_ticket:
                    continue
                number = open_deadline_ticket(deps.tickets, app, now)
                try:
                    advance(
                        deps.repo,
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
