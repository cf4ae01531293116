"""API routes for a citizen's own data: profile change requests and the access journal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.http import Caller, install_problem_handlers, json_response, problem, resolve
from shared.applications.models import FieldError
from shared.core.errors import AccessDenied, InvalidApplication
from shared.core.messages import field_message
from shared.core.observability import get_logger
from shared.journal.access import AccessAction, creation_entry, entries
from shared.profile.changes import ChangeProblem, ChangeRequest, ChangeStatus
from shared.wiring import change_deps, journal

logger = get_logger()
app = APIGatewayRestResolver()
install_problem_handlers(app)


def _caller() -> Caller:
    return Caller.from_event(app.current_event.raw_event)


def _now() -> datetime:
    return datetime.now(UTC)


def _limit() -> int:
    raw = app.current_event.get_query_string_value("limit", "20") or "20"
    return max(1, min(100, int(raw))) if raw.isascii() and raw.isdigit() else 20  # "¹".isdigit(), int("¹") fails


def _token() -> str | None:
    return app.current_event.get_query_string_value("next_token")


def _body() -> Any:
    try:
        return json.loads(app.current_event.body or "null")
    except json.JSONDecodeError:
        return None


def _citizen() -> Caller:
    caller = _caller()
    if caller.is_operator:  # an operator's own data is not kept here
        raise AccessDenied("forbidden")
    return caller


def _operator() -> Caller:
    caller = _caller()
    if not caller.is_operator:
        raise AccessDenied("forbidden")
    return caller


def _journal(caller: Caller, action: AccessAction, requests: list[ChangeRequest]) -> None:
    targets = [(r.owner_sub, r.request_id) for r in requests]
    journal().record(entries(caller.accessor, action, "change_request", targets, _now()))


def _own(request_id: str) -> ChangeRequest:
    """The caller's own request; anyone else's is not found (no existence leak)."""
    found = change_deps().store.get(request_id)
    if found is None or found.owner_sub != _caller().sub:
        raise ChangeProblem("not_found", 404, "Заявка не найдена.")
    return found


@app.get("/me/access-log")
def access_log() -> Response[str]:
    caller = _citizen()
    page = journal().list(caller.sub, _limit(), _token())
    return json_response(200, {"items": [e.view() for e in page.items], "next_token": page.next_token})


@app.post("/profile/change-requests")
def create_change_request() -> Response[str]:
    from shared.profile.changes import create, parse_request

    caller = _citizen()
    changes, uploads = parse_request(_body())
    request, upload_views = create(change_deps(), caller.sub, changes, uploads)
    journal().record(
        [creation_entry(caller.accessor, "change_request", request.request_id, caller.sub, request.created_at)]
    )
    logger.info("change request created", extra={"request_id": request.request_id, "fields": changes.fields()})
    return json_response(201, {**request.view(), "uploads": upload_views})


@app.get("/profile/change-requests")
def list_change_requests() -> Response[str]:
    caller = _citizen()
    page = change_deps().store.list_by_owner(caller.sub, _limit(), _token())
    _journal(caller, AccessAction.READ, page.items)
    return json_response(200, {"items": [r.view() for r in page.items], "next_token": page.next_token})


@app.get("/profile/change-requests/<request_id>")
def get_change_request(request_id: str) -> Response[str]:
    found = _own(request_id)
    _journal(_caller(), AccessAction.READ, [found])
    return json_response(200, found.view())


@app.post("/profile/change-requests/<request_id>/documents")
def add_change_document(request_id: str) -> Response[str]:
    from shared.profile.changes import add_document
    from shared.review.decisions import parse_document_request

    found = _own(request_id)
    updated, upload = add_document(change_deps(), found, parse_document_request(_body()))
    _journal(_caller(), AccessAction.CHANGE, [updated])
    return json_response(201, upload)


def _operator_view(request: ChangeRequest) -> dict[str, Any]:
    store = change_deps().documents
    view = request.view(operator=True)
    view["documents"] = [
        {**d.model_dump(mode="json", exclude={"key"}), "download_url": store.presign_download(d.key, 300)}
        for d in request.documents
        if d.status == "uploaded"
    ]
    return view


@app.get("/operator/change-requests")
def operator_queue() -> Response[str]:
    caller = _operator()
    status = app.current_event.get_query_string_value("status", ChangeStatus.IN_REVIEW.value)
    if status not in ChangeStatus.__members__.values():
        raise InvalidApplication(
            [FieldError(field="status", code="invalid_value", message=field_message("invalid_value"))]
        )
    page = change_deps().store.list_by_status(str(status), _limit(), _token())
    _journal(caller, AccessAction.READ, page.items)
    return json_response(200, {"items": [_operator_view(r) for r in page.items], "next_token": page.next_token})


@app.get("/operator/change-requests/<request_id>")
def operator_get(request_id: str) -> Response[str]:
    caller = _operator()
    found = change_deps().store.get(request_id)
    if found is None:
        raise ChangeProblem("not_found", 404, "Заявка не найдена.")
    _journal(caller, AccessAction.READ, [found])
    return json_response(200, _operator_view(found))


@app.post("/operator/change-requests/<request_id>/decision")
def operator_decide(request_id: str) -> Response[str]:
    from shared.profile.changes import decide

    caller = _operator()
    body = _body() if isinstance(_body(), dict) else {}
    decision, reason = body.get("decision"), body.get("reason")
    errors = []
    if decision not in ("approve", "reject"):
        errors.append(FieldError(field="decision", code="invalid_value", message="Решение: approve или reject."))
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 1000:
        errors.append(
            FieldError(field="reason", code="missing_field", message="Укажите причину решения (3–1000 символов).")
        )
    if errors:
        raise InvalidApplication(errors)
    found = change_deps().store.get(request_id)
    if found is None:
        raise ChangeProblem("not_found", 404, "Заявка не найдена.")
    updated = decide(change_deps(), found, str(decision), str(reason).strip(), caller.sub)
    _journal(caller, AccessAction.CHANGE, [updated])
    if decision == "approve":  # the citizen's data itself changed too
        journal().record(
            entries(
                caller.accessor, AccessAction.CHANGE, "profile", [(updated.owner_sub, updated.application_id)], _now()
            )
        )
    return json_response(200, _operator_view(updated))


@app.exception_handler(ChangeProblem)
def _change_problem(error: ChangeProblem) -> Response[str]:
    return problem(error.status, error.code, detail=error.detail)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context, logger)
