"""API routes for applications: parse the request, call one use case (shared/onboarding/service.py),
answer its typed view. Errors are answered by the one map in shared/api/errors.py."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import request
from shared.api.bodies import json_object, parse_decision
from shared.api.caller import caller, operator
from shared.api.http import correlation_id_of, reply
from shared.api.resolver import api, handle
from shared.core.observability import get_logger
from shared.onboarding import service
from shared.wiring import applications

logger = get_logger()
app = api(logger)


def _correlation_id() -> str:
    return correlation_id_of(app.current_event.raw_event)


@app.post("/applications")
def post_application() -> Response[str]:
    """Body: ApplicationBody (shared/applications/models.py). Answer: 202 StatusView."""
    who = caller(app)
    correlation_id = _correlation_id()
    view = service.create(
        applications(),
        who.accessor,
        who.confirmed,
        request.json_body(app),
        correlation_id,
        idempotency_key=request.header(app, "idempotency-key"),
        body_text=request.body_text(app),
    )
    logger.info("application submitted", extra={"application_id": view.application_id})
    return reply(view, 202, headers={"X-Correlation-Id": correlation_id})


@app.post("/applications/signed")
def post_signed_application() -> Response[str]:
    """Body: a signed XML application (shared/signed_xml/channel.py). Answer: 202 StatusView."""
    correlation_id = _correlation_id()
    view = service.create_signed(applications(), caller(app).accessor, request.body_bytes(app), correlation_id)
    return reply(view, 202, headers={"X-Correlation-Id": correlation_id})


@app.get("/applications")
def list_applications() -> Response[str]:
    who = caller(app)
    page = service.list_own(
        applications(),
        who.accessor,
        who.confirmed,
        request.bearer_token(app),
        request.limit(app),
        request.next_token(app),
    )
    return reply(page)


@app.get("/applications/prefill")
def get_prefill() -> Response[str]:
    """Registered before /applications/<id> so that `prefill` is never taken for an id."""
    return reply(service.prefill(applications(), request.bearer_token(app)))


@app.get("/applications/<application_id>")
def get_application(application_id: str) -> Response[str]:
    who = caller(app)
    return reply(service.get(applications(), who.accessor, who.confirmed, request.bearer_token(app), application_id))


@app.post("/applications/<application_id>/confirmation")
def confirm_contact(application_id: str) -> Response[str]:
    return reply(service.confirm_contact(applications(), caller(app).accessor, application_id, json_object(app)))


@app.post("/applications/<application_id>/confirmation/resend")
def resend_code(application_id: str) -> Response[str]:
    return reply(service.resend_code(applications(), caller(app).accessor, application_id), 202)


@app.patch("/applications/<application_id>/contacts")
def change_contacts(application_id: str) -> Response[str]:
    return reply(service.change_contacts(applications(), caller(app).accessor, application_id, json_object(app)))


@app.post("/applications/<application_id>/documents")
def upload_document(application_id: str) -> Response[str]:
    return reply(service.upload_document(applications(), caller(app).accessor, application_id, json_object(app)), 201)


@app.post("/operator/applications/<application_id>/decision")
def decide_review(application_id: str) -> Response[str]:
    who = operator(app)
    body = parse_decision(app)
    return reply(service.decide(applications(), who.accessor, application_id, body.decision, body.reason))


@app.get("/operator/applications")
def operator_search() -> Response[str]:
    who = operator(app)
    page = service.search(
        applications(),
        who.accessor,
        status=request.query(app, "status"),
        inn=request.query(app, "inn"),
        queue=request.query(app, "queue"),
        limit=request.limit(app),
        next_token=request.next_token(app),
    )
    return reply(page)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(app, event, context, logger)
