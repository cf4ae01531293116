"""API routes for a citizen's own data: profile change requests and the access journal. Each route
parses, calls one use case (shared/profile/service.py) and answers its typed view."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import request
from shared.api.bodies import json_object, parse_decision
from shared.api.caller import caller, citizen, operator
from shared.api.http import reply
from shared.api.resolver import api, handle
from shared.core.observability import get_logger
from shared.profile import service
from shared.wiring import profile

logger = get_logger()
app = api(logger)


@app.get("/me/access-log")
def access_log() -> Response[str]:
    return reply(service.access_log(profile(), citizen(app).accessor, request.limit(app), request.next_token(app)))


@app.post("/profile/change-requests")
def create_change_request() -> Response[str]:
    """Body: ChangeRequestBody (shared/profile/changes.py). Answer: 201 ChangeRequestCreated."""
    return reply(service.create(profile(), citizen(app).accessor, request.json_body(app)), 201)


@app.get("/profile/change-requests")
def list_change_requests() -> Response[str]:
    return reply(service.list_own(profile(), citizen(app).accessor, request.limit(app), request.next_token(app)))


@app.get("/profile/change-requests/<request_id>")
def get_change_request(request_id: str) -> Response[str]:
    return reply(service.get_own(profile(), caller(app).accessor, request_id))


@app.post("/profile/change-requests/<request_id>/documents")
def add_change_document(request_id: str) -> Response[str]:
    return reply(service.add_document(profile(), caller(app).accessor, request_id, json_object(app)), 201)


@app.get("/operator/change-requests")
def operator_queue() -> Response[str]:
    who = operator(app)
    status = request.query(app, "status")
    return reply(service.queue(profile(), who.accessor, status, request.limit(app), request.next_token(app)))


@app.get("/operator/change-requests/<request_id>")
def operator_get(request_id: str) -> Response[str]:
    return reply(service.get_any(profile(), operator(app).accessor, request_id))


@app.post("/operator/change-requests/<request_id>/decision")
def operator_decide(request_id: str) -> Response[str]:
    who = operator(app)
    body = parse_decision(app)
    return reply(service.decide(profile(), who.accessor, request_id, body.decision, body.reason))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, logger)
