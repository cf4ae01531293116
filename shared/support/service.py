"""The use cases behind the support API: a citizen's own tickets, and the desk's.

A citizen reaches only their own tickets (anyone else's is not found, like an unknown id); the
desk's use cases are for operators (the edge checks the role). Every read and change of a
ticket is journaled under the citizen it belongs to. A ticket changed by someone else meanwhile
is `ticket_changed` (re-read and repeat).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shared.core.errors import ConcurrentUpdate, FieldError
from shared.core.messages import field_text
from shared.core.observability import get_logger
from shared.journal.access import AccessAction, Accessor, record
from shared.journal.ports import AccessJournal
from shared.support.models import AWAITING, Ticket, TicketStatus
from shared.support.requests import invalid, parse_change, parse_message, parse_ticket_request
from shared.support.tickets import TicketDeps, add_citizen_message, find, open_ticket, operator_change, owned
from shared.support.views import (
    CitizenTicketView,
    DeskPage,
    HandledTicketView,
    OperatorTicketView,
    TicketCreated,
    TicketPage,
    citizen_view,
    created_view,
    desk_item,
    handled_view,
    operator_view,
    summary,
)

_RESOURCE = "ticket"
_TRUE, _FALSE = ("true", "1"), ("false", "0")


@dataclass
class SupportDeps:
    tickets: Callable[[], TicketDeps]
    journal: Callable[[], AccessJournal]


@contextmanager
def _ticket_changed() -> Iterator[None]:
    """A lost race on a ticket has its own code (the citizen or operator re-reads the ticket)."""
    try:
        yield
    except ConcurrentUpdate as error:
        raise ConcurrentUpdate(error.resource_id, code="ticket_changed") from None


def _journal(deps: SupportDeps, who: Accessor, action: AccessAction, tickets: Sequence[Ticket]) -> None:
    now = deps.tickets().clock.now()
    record(deps.journal(), who, action, _RESOURCE, [(t.owner_sub, t.ticket_id) for t in tickets], now)


def open_own(deps: SupportDeps, who: Accessor, body: Any) -> TicketCreated:
    """`POST /support/tickets`: a citizen's question (with a screenshot's upload, if announced)."""
    tickets = deps.tickets()
    request = parse_ticket_request(body)
    with _ticket_changed():
        ticket, upload = open_ticket(tickets, who.actor_id, request)
    _journal(deps, who, AccessAction.CREATE, [ticket])
    get_logger().info("ticket opened", extra={"ticket_id": ticket.ticket_id, "number": ticket.number})
    return created_view(ticket, tickets.clock.now(), upload)


def list_own(deps: SupportDeps, who: Accessor, limit: int, next_token: str | None) -> TicketPage:
    tickets = deps.tickets()
    page = tickets.tickets.list_by_owner(who.actor_id, limit, next_token)
    _journal(deps, who, AccessAction.READ, page.items)
    now = tickets.clock.now()
    return TicketPage(items=[summary(t, now) for t in page.items], next_token=page.next_token)


def get_own(deps: SupportDeps, who: Accessor, ticket_id: str) -> CitizenTicketView:
    tickets = deps.tickets()
    ticket = owned(tickets, ticket_id, who.actor_id)
    messages = tickets.tickets.messages(ticket_id)
    _journal(deps, who, AccessAction.READ, [ticket])
    return citizen_view(ticket, messages, tickets.clock.now())


def add_message(deps: SupportDeps, who: Accessor, ticket_id: str, body: Any) -> CitizenTicketView:
    """`POST /support/tickets/{id}/messages`: a follow-up (on an answered ticket, a new question)."""
    tickets = deps.tickets()
    ticket = owned(tickets, ticket_id, who.actor_id)
    with _ticket_changed():
        updated = add_citizen_message(tickets, ticket, parse_message(body))
    _journal(deps, who, AccessAction.CHANGE, [updated])
    return citizen_view(updated, tickets.tickets.messages(ticket_id), tickets.clock.now())


def _query_error(field_name: str, text: str) -> Exception:
    return invalid([FieldError(field=field_name, code="invalid_value", message=field_text(text))])


def desk(
    deps: SupportDeps, who: Accessor, status: str | None, overdue: str | None, limit: int, next_token: str | None
) -> DeskPage:
    """`GET /operator/tickets`: tickets awaiting an answer (or of one status), earliest answer target
    first; `overdue=true`: only those past it."""
    tickets = deps.tickets()
    flag = (overdue or "false").lower()
    if status is not None and status not in TicketStatus.__members__.values():
        raise _query_error("status", "ticket_status_value")
    if flag not in (*_TRUE, *_FALSE):
        raise _query_error("overdue", "ticket_overdue_value")
    statuses = (TicketStatus(status),) if status else AWAITING
    late = flag in _TRUE
    if late and not all(s.awaits_answer for s in statuses):
        raise _query_error("overdue", "ticket_overdue_status")
    now = tickets.clock.now()
    page = tickets.tickets.list_by_status(statuses, limit, next_token, due_before=now if late else None)
    _journal(deps, who, AccessAction.READ, page.items)
    return DeskPage(items=[desk_item(t, now) for t in page.items], next_token=page.next_token)


def desk_ticket(deps: SupportDeps, who: Accessor, ticket_id: str) -> OperatorTicketView:
    tickets = deps.tickets()
    ticket = find(tickets, ticket_id)
    view = operator_view(ticket, tickets.tickets.messages(ticket_id), tickets.clock.now(), tickets.store)
    _journal(deps, who, AccessAction.READ, [ticket])
    return view


def change(deps: SupportDeps, who: Accessor, ticket_id: str, body: Any) -> HandledTicketView:
    """`PATCH /operator/tickets/{id}`: assign, answer, change the status; the citizen is told of an answer."""
    tickets = deps.tickets()
    request = parse_change(body)
    with _ticket_changed():
        handled = operator_change(tickets, find(tickets, ticket_id), who.actor_id, request)
    _journal(deps, who, AccessAction.CHANGE, [handled.ticket])
    if handled.notified is False:
        get_logger().warning("answer stored, notification failed", extra={"ticket_id": ticket_id})
    messages = tickets.tickets.messages(ticket_id)
    return handled_view(handled.ticket, messages, tickets.clock.now(), tickets.store, handled.notified)
