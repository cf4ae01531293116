"""API routes for support tickets: parse the request, call one use case (shared/support/service.py),
answer its typed view.

A citizen reaches only their own tickets (anyone else's answers 404, like an unknown id); the
desk routes (`/operator/...`) need the operator role (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import request
from shared.api.caller import caller, operator
from shared.api.http import reply
from shared.api.resolver import api, handle
from shared.core.observability import get_logger
from shared.support import service
from shared.wiring import support

logger = get_logger()
app = api(logger)
_DESK = "support"  # a refusal of the desk's routes speaks of support staff


@app.post("/support/tickets")
def create_ticket() -> Response[str]:
    """Body: TicketRequest (shared/support/tickets.py). Answer: 201 TicketCreated."""
    ticket = service.open_own(support(), caller(app).accessor, request.json_body(app))
    return reply(ticket, 201, headers={"Location": f"/support/tickets/{ticket.ticket_id}"})


@app.get("/support/tickets")
def list_my_tickets() -> Response[str]:
    return reply(service.list_own(support(), caller(app).accessor, request.limit(app), request.next_token(app)))


@app.get("/support/tickets/<ticket_id>")
def get_my_ticket(ticket_id: str) -> Response[str]:
    return reply(service.get_own(support(), caller(app).accessor, ticket_id))


@app.post("/support/tickets/<ticket_id>/messages")
def post_message(ticket_id: str) -> Response[str]:
    """Body: MessageRequest (shared/support/tickets.py). Answer: 201 CitizenTicketView."""
    return reply(service.add_message(support(), caller(app).accessor, ticket_id, request.json_body(app)), 201)


@app.get("/operator/tickets")
def desk() -> Response[str]:
    who = operator(app, _DESK)
    status, overdue = request.query(app, "status"), request.query(app, "overdue")
    return reply(service.desk(support(), who.accessor, status, overdue, request.limit(app), request.next_token(app)))


@app.get("/operator/tickets/<ticket_id>")
def desk_ticket(ticket_id: str) -> Response[str]:
    return reply(service.desk_ticket(support(), operator(app, _DESK).accessor, ticket_id))


@app.patch("/operator/tickets/<ticket_id>")
def change_ticket(ticket_id: str) -> Response[str]:
    """Body: TicketChange (shared/support/tickets.py). Answer: 200 HandledTicketView."""
    who = operator(app, _DESK)
    return reply(service.change(support(), who.accessor, ticket_id, request.json_body(app)))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, logger)
