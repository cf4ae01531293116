"""API routes for support tickets: parse the request, call shared/support/tickets.py, shape the answer.

A citizen reaches only their own tickets (anyone else's answers 404, like an unknown id); the
desk routes (`/operator/...`) need the operator role (403 otherwise). Every read and change of a
ticket is written to the access journal of the citizen it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.http import Caller, install_problem_handlers, json_response, problem, resolve
from shared.applications.models import FieldError
from shared.core.errors import AccessDenied, ConcurrentUpdate, InvalidApplication
from shared.core.observability import get_logger
from shared.journal.access import AccessAction, entries
from shared.support.tickets import (
    AWAITING,
    Ticket,
    TicketProblem,
    TicketStatus,
    add_citizen_message,
    citizen_view,
    desk_item,
    find,
    open_ticket,
    operator_change,
    operator_view,
    owned,
    parse_change,
    parse_message,
    parse_ticket_request,
    summary,
)
from shared.wiring import journal, support_deps

logger = get_logger()
app = APIGatewayRestResolver()
install_problem_handlers(app)

_FIX_FIELDS = "Исправьте поля, перечисленные в errors, и отправьте обращение снова."


def _caller() -> Caller:
    return Caller.from_event(app.current_event.raw_event)


def _operator() -> Caller:
    caller = _caller()
    if not caller.is_operator:
        raise AccessDenied("forbidden")
    return caller


def _body() -> Any:
    try:
        return json.loads(app.current_event.body or "null")
    except json.JSONDecodeError:
        return None


def _limit() -> int:
    raw = app.current_event.get_query_string_value("limit", "20") or "20"
    return max(1, min(100, int(raw))) if raw.isascii() and raw.isdigit() else 20  # "¹".isdigit(), int("¹") fails


def _journal(caller: Caller, action: AccessAction, tickets: Sequence[Ticket]) -> None:
    """After the access succeeded: one entry per ticket, under the citizen it belongs to."""
    if tickets:
        now = support_deps().clock.now()
        journal().record(entries(caller.accessor, action, "ticket", [(t.owner_sub, t.ticket_id) for t in tickets], now))


def _query_error(field: str, message: str) -> InvalidApplication:
    return InvalidApplication([FieldError(field=field, code="invalid_value", message=message)])


@app.post("/support/tickets")
def create_ticket() -> Response[str]:
    caller = _caller()
    deps = support_deps()
    request = parse_ticket_request(_body())
    ticket, upload = open_ticket(deps, caller.sub, request)
    _journal(caller, AccessAction.CREATE, [ticket])
    logger.info("ticket opened", extra={"ticket_id": ticket.ticket_id, "number": ticket.number})
    view = citizen_view(ticket, [], deps.clock.now())
    if upload is not None:
        view["screenshot_upload"] = {
            "upload_url": upload["url"],
            "fields": upload["fields"],
            "method": "POST",
            "expires_in": 900,
        }
    return json_response(201, view, headers={"Location": f"/support/tickets/{ticket.ticket_id}"})


@app.get("/support/tickets")
def list_my_tickets() -> Response[str]:
    caller = _caller()
    deps = support_deps()
    page = deps.tickets.list_by_owner(caller.sub, _limit(), app.current_event.get_query_string_value("next_token"))
    _journal(caller, AccessAction.READ, page.items)
    now = deps.clock.now()
    return json_response(200, {"items": [summary(t, now) for t in page.items], "next_token": page.next_token})


@app.get("/support/tickets/<ticket_id>")
def get_my_ticket(ticket_id: str) -> Response[str]:
    caller = _caller()
    deps = support_deps()
    ticket = owned(deps, ticket_id, caller.sub)
    messages = deps.tickets.messages(ticket_id)
    _journal(caller, AccessAction.READ, [ticket])
    return json_response(200, citizen_view(ticket, messages, deps.clock.now()))


@app.post("/support/tickets/<ticket_id>/messages")
def post_message(ticket_id: str) -> Response[str]:
    caller = _caller()
    deps = support_deps()
    ticket = owned(deps, ticket_id, caller.sub)
    updated = add_citizen_message(deps, ticket, parse_message(_body()))
    _journal(caller, AccessAction.CHANGE, [updated])
    return json_response(201, citizen_view(updated, deps.tickets.messages(ticket_id), deps.clock.now()))


@app.get("/operator/tickets")
def desk() -> Response[str]:
    """The desk: tickets awaiting an answer (or of one status), earliest answer target first."""
    caller = _operator()
    deps = support_deps()
    raw_status = app.current_event.get_query_string_value("status")
    raw_overdue = (app.current_event.get_query_string_value("overdue") or "false").lower()
    if raw_status is not None and raw_status not in TicketStatus.__members__.values():
        raise _query_error("status", "Статус: open, in_progress, answered или resolved.")
    if raw_overdue not in ("true", "false", "1", "0"):
        raise _query_error("overdue", "overdue: true или false.")
    statuses = (TicketStatus(raw_status),) if raw_status else AWAITING
    overdue = raw_overdue in ("true", "1")
    if overdue and not all(s.awaits_answer for s in statuses):
        raise _query_error("overdue", "Просроченными бывают только обращения в статусах open и in_progress.")
    now = deps.clock.now()
    token = app.current_event.get_query_string_value("next_token")
    page = deps.tickets.list_by_status(statuses, _limit(), token, due_before=now if overdue else None)
    _journal(caller, AccessAction.READ, page.items)
    return json_response(200, {"items": [desk_item(t, now) for t in page.items], "next_token": page.next_token})


@app.get("/operator/tickets/<ticket_id>")
def desk_ticket(ticket_id: str) -> Response[str]:
    caller = _operator()
    deps = support_deps()
    ticket = find(deps, ticket_id)
    view = operator_view(ticket, deps.tickets.messages(ticket_id), deps.clock.now(), deps.store)
    _journal(caller, AccessAction.READ, [ticket])
    return json_response(200, view)


@app.patch("/operator/tickets/<ticket_id>")
def change_ticket(ticket_id: str) -> Response[str]:
    caller = _operator()
    deps = support_deps()
    change = parse_change(_body())
    handled = operator_change(deps, find(deps, ticket_id), caller.sub, change)
    _journal(caller, AccessAction.CHANGE, [handled.ticket])
    if handled.notified is False:
        logger.warning("answer stored, notification failed", extra={"ticket_id": ticket_id})
    view = operator_view(handled.ticket, deps.tickets.messages(ticket_id), deps.clock.now(), deps.store)
    view["notified"] = handled.notified
    return json_response(200, view)


@app.exception_handler(InvalidApplication)
def _invalid(error: InvalidApplication) -> Response[str]:
    status = 400 if app.current_event.http_method == "GET" else 422
    return problem(status, "validation_failed", detail=_FIX_FIELDS, errors=error.errors)


@app.exception_handler(TicketProblem)
def _ticket_problem(error: TicketProblem) -> Response[str]:
    return problem(error.status, error.code, detail=error.detail)


@app.exception_handler(ConcurrentUpdate)
def _changed(_: ConcurrentUpdate) -> Response[str]:
    return problem(409, "ticket_changed")


@app.exception_handler(AccessDenied)
def _denied(error: AccessDenied) -> Response[str]:
    return problem(403, error.code, detail="Это действие доступно только сотрудникам поддержки.")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context, logger)
