"""API routes for applications: parse the request, call shared/ logic, shape the answer."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.http import (
    Caller,
    correlation_id_of,
    install_problem_handlers,
    json_response,
    problem,
    raw_problem,
    too_large,
)
from shared.applications.models import Application, Channel, FieldError, Status
from shared.applications.submission import Origin, submit
from shared.applications.validation import parse_contacts
from shared.applications.views import status_view
from shared.contact.confirmation import CodeProblem
from shared.core import identifiers
from shared.core.errors import (
    AccessDenied,
    ApplicationNotFound,
    DuplicateApplication,
    InvalidApplication,
)
from shared.core.messages import field_message
from shared.core.observability import get_logger
from shared.core.paging import Page
from shared.journal.access import AccessAction, creation_entry, entries
from shared.review.decisions import ReviewProblem
from shared.signed_xml.channel import SignedXmlError
from shared.wiring import contact_deps, journal, repository, review_deps, stage_statistics, submission_deps

logger = get_logger()
app = APIGatewayRestResolver()
install_problem_handlers(app)

_CITIZEN = Origin(allowed_channels=frozenset({Channel.PORTAL, Channel.MOBILE}), default_channel=Channel.PORTAL)
_OFFICE = Origin(allowed_channels=frozenset({Channel.OFFICE}), default_channel=Channel.OFFICE)
_IDEMPOTENCY_TTL = 24 * 3600


def _caller() -> Caller:
    return Caller.from_event(app.current_event.raw_event)


def _correlation_id() -> str:
    return correlation_id_of(app.current_event.raw_event)


def _origin(caller: Caller) -> Origin:
    if caller.is_operator:
        return replace(_OFFICE, operator_id=caller.sub)
    return replace(_CITIZEN, owner_sub=caller.sub)


_MEASURED: dict[str, Any] = {"at": 0.0, "times": {}}
_MEASURED_TTL_SECONDS = 60


def _journal(caller: Caller, action: AccessAction, apps: list[Application], resource: str = "application") -> None:
    """Every read or change of a citizen's application lands in their access journal."""
    from datetime import UTC, datetime

    targets = [(a.owner_sub, a.application_id) for a in apps]
    journal().record(entries(caller.accessor, action, resource, targets, datetime.now(UTC)))


def _measured() -> dict[str, tuple[int, float]]:
    """Measured stage times for expected completion, re-read at most once a minute per container."""
    now = time.monotonic()
    if now - _MEASURED["at"] > _MEASURED_TTL_SECONDS:
        _MEASURED.update(at=now, times=stage_statistics().stage_times())
    return dict(_MEASURED["times"])


def _create(raw: Any, caller: Caller, correlation_id: str) -> dict[str, Any]:
    deps = submission_deps()
    result = submit(raw, _origin(caller), deps, correlation_id)
    created = result.application
    journal().record(
        [creation_entry(caller.accessor, "application", created.application_id, created.owner_sub, created.created_at)]
    )
    view = status_view(result.application, deps.repo.history(result.application.application_id), _measured())
    return {"status": 202, "body": view.model_dump(mode="json")}


def _idempotent_create(raw: Any, caller: Caller, correlation_id: str, key: str, body_text: str) -> dict[str, Any]:
    """A retried POST with the same Idempotency-Key answers the first result (Powertools idempotency)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from shared.core.config import SubmissionSettings, settings

    store = DynamoDBPersistenceLayer(table_name=settings(SubmissionSettings).idempotency_table_name)
    config = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="body_hash",
        expires_after_seconds=_IDEMPOTENCY_TTL,
        hash_function="sha256",
    )
    if app.lambda_context is not None:
        config.register_lambda_context(app.lambda_context)

    @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config)
    def create_once(request: dict[str, str]) -> dict[str, Any]:
        return _create(raw, caller, correlation_id)

    body_hash = hashlib.sha256(body_text.encode()).hexdigest()
    return create_once(request={"owner": caller.sub, "key": key, "body_hash": body_hash})


@app.post("/applications")
def post_application() -> Response[str]:
    caller = _caller()
    if not caller.is_operator and caller.level != "confirmed":
        return problem(403, "account_not_confirmed")
    body_text = app.current_event.body or ""
    try:
        raw = json.loads(body_text) if body_text else None
    except json.JSONDecodeError:
        raw = None
    correlation_id = _correlation_id()
    key = next((v for k, v in (app.current_event.headers or {}).items() if k.lower() == "idempotency-key"), None)
    if key:
        result = _idempotent_create(raw, caller, correlation_id, key[:200], body_text)
    else:
        result = _create(raw, caller, correlation_id)
    logger.info("application submitted", extra={"application_id": result["body"]["application_id"]})
    return json_response(result["status"], result["body"], headers={"X-Correlation-Id": correlation_id})


_SIGNED = Origin(allowed_channels=frozenset({Channel.SIGNED_XML}), default_channel=Channel.SIGNED_XML)


def _trust_store() -> bytes | None:
    """The packaged PEM bundle of CAs trusted for signed applications; None: the channel is closed."""
    import os
    from pathlib import Path

    import shared

    name = os.environ.get("SIGNED_XML_TRUST_STORE")
    if not name:
        return None
    return (Path(shared.__file__).resolve().parent.parent / name).read_bytes()


@app.post("/applications/signed")
def post_signed_application() -> Response[str]:
    """An XML application signed with the citizen's electronic signature (shared/signed_xml/channel.py)."""
    from datetime import UTC, datetime

    from shared.signed_xml.channel import verify_signed_application

    caller = _caller()
    if caller.is_operator:
        return problem(403, "forbidden")
    trust_store = _trust_store()
    if trust_store is None:
        return problem(503, "signed_xml_unavailable")
    event = app.current_event
    raw: str | bytes | None = event.decoded_body if event.is_base64_encoded else event.body
    document = raw.encode() if isinstance(raw, str) else (raw or b"")
    signed = verify_signed_application(document, trust_store, datetime.now(UTC))
    correlation_id = _correlation_id()
    deps = submission_deps()
    result = submit(signed.application, replace(_SIGNED, owner_sub=caller.sub), deps, correlation_id)
    created = result.application
    journal().record(
        [creation_entry(caller.accessor, "application", created.application_id, created.owner_sub, created.created_at)]
    )
    logger.info(
        "signed application submitted",
        extra={
            "application_id": created.application_id,
            "signed_at": signed.signed_at.isoformat(),
            **signed.signer.as_log(),
        },
    )
    view = status_view(created, deps.repo.history(created.application_id), _measured())
    return json_response(202, view.model_dump(mode="json"), headers={"X-Correlation-Id": correlation_id})


def _limit() -> int:
    raw = app.current_event.get_query_string_value("limit", "20") or "20"
    return max(1, min(100, int(raw))) if raw.isascii() and raw.isdigit() else 20  # "¹".isdigit(), int("¹") fails


def _page_body(page: Page[Application]) -> dict[str, Any]:
    return {
        "items": [status_view(a, [], _measured()).model_dump(mode="json") for a in page.items],
        "next_token": page.next_token,
    }


def _person() -> dict[str, Any] | None:
    """The identity provider's record of the caller (asked with the caller's own token)."""
    from shared.adapters.http.idp import HttpIdentityProvider
    from shared.core.config import PrefillSettings, settings

    header = next((v for k, v in (app.current_event.headers or {}).items() if k.lower() == "authorization"), "")
    token = header.partition(" ")[2].strip()
    return HttpIdentityProvider(settings(PrefillSettings).idp_userinfo_url).person(token)


def _claim_office_applications(caller: Caller) -> list[str]:
    """Applications an operator or a partner submitted for this citizen become theirs (by SNILS)."""
    from datetime import UTC, datetime

    from shared.adapters.http.idp import IdentityProviderUnavailable
    from shared.applications.office import claim_for
    from shared.wiring import claim_deps

    if caller.is_operator or caller.level != "confirmed":
        return []
    try:
        person = _person()
    except IdentityProviderUnavailable:
        logger.warning("identity provider unavailable: office applications not matched this time")
        return []
    return claim_for(claim_deps(), caller.sub, person, datetime.now(UTC))


@app.get("/applications")
def list_applications() -> Response[str]:
    caller = _caller()
    token = app.current_event.get_query_string_value("next_token")
    if token is None:
        _claim_office_applications(caller)
    page = repository().list_by_owner(caller.sub, _limit(), token)
    _journal(caller, AccessAction.READ, page.items)
    return json_response(200, _page_body(page))


@app.get("/applications/prefill")
def get_prefill() -> Response[str]:
    """Registered before /applications/<id> so that `prefill` is never taken for an id."""
    from shared.adapters.http.idp import IdentityProviderUnavailable
    from shared.applications.prefill import prefill

    try:
        person = _person()
    except IdentityProviderUnavailable:
        return problem(502, "identity_provider_unavailable")
    return json_response(200, prefill(person).model_dump())


@app.get("/applications/<application_id>")
def get_application(application_id: str) -> Response[str]:
    caller = _caller()
    repo = repository()
    found = repo.get(application_id)
    if found is not None and found.owner_sub is None and application_id in _claim_office_applications(caller):
        found = repo.get(application_id)
    if found is None or not (caller.is_operator or (found.owner_sub and found.owner_sub == caller.sub)):
        raise ApplicationNotFound(application_id)
    _journal(caller, AccessAction.READ, [found])
    view = status_view(found, repo.history(application_id), _measured())
    return json_response(200, view.model_dump(mode="json"))


def _owned(application_id: str) -> Application:
    """The caller's own application; anyone else's is not found (never 403: no existence leak)."""
    found = repository().get(application_id)
    caller = _caller()
    if found is None or not found.owner_sub or found.owner_sub != caller.sub:
        raise ApplicationNotFound(application_id)
    return found


def _body() -> dict[str, Any]:
    try:
        data = json.loads(app.current_event.body or "null")
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise InvalidApplication([FieldError(field="body", code="invalid_json", message=field_message("invalid_json"))])
    return data


@app.post("/applications/<application_id>/confirmation")
def confirm_contact(application_id: str) -> Response[str]:
    from shared.contact.confirmation import confirm

    found = _owned(application_id)
    code = _body().get("code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidApplication(
            [FieldError(field="code", code="missing_field", message="Введите код из SMS или письма.")]
        )
    updated = confirm(contact_deps(), found, code.strip())
    _journal(_caller(), AccessAction.CHANGE, [updated])
    view = status_view(updated, repository().history(application_id), _measured())
    return json_response(200, view.model_dump(mode="json"))


@app.post("/applications/<application_id>/confirmation/resend")
def resend_code(application_id: str) -> Response[str]:
    from shared.contact.confirmation import masked_destination, resend

    found = _owned(application_id)
    record = resend(contact_deps(), found)
    return json_response(202, {"sent_to": masked_destination(found), "expires_at": record.expires_at.isoformat()})


@app.patch("/applications/<application_id>/contacts")
def change_contacts(application_id: str) -> Response[str]:
    from shared.contact.confirmation import change_contacts as change

    found = _owned(application_id)
    changes = parse_contacts(_body())
    updated = change(contact_deps(), found, changes)
    _journal(_caller(), AccessAction.CHANGE, [updated])
    view = status_view(updated, repository().history(application_id), _measured())
    return json_response(200, view.model_dump(mode="json"))


@app.post("/applications/<application_id>/documents")
def upload_document(application_id: str) -> Response[str]:
    from shared.review.decisions import parse_document_request, request_upload

    found = _owned(application_id)
    document, upload = request_upload(review_deps(), found, parse_document_request(_body()))
    _journal(_caller(), AccessAction.CREATE, [found], resource="document")
    return json_response(
        201,
        {
            "document_id": document.document_id,
            "upload_url": upload["url"],
            "fields": upload["fields"],
            "method": "POST",
            "expires_in": 900,
        },
    )


def _operator() -> Caller:
    caller = _caller()
    if not caller.is_operator:
        raise AccessDenied("forbidden")
    return caller


def _review_item(found: Application) -> dict[str, Any]:
    from shared.review.decisions import documents_of

    deps = review_deps()
    view = status_view(found, [], _measured()).model_dump(mode="json")
    view["mismatches"] = found.mismatches
    view["failure"] = found.failure
    view["documents"] = [
        {**d.model_dump(mode="json", exclude={"key"}), "download_url": deps.store.presign_download(d.key, 300)}
        for d in documents_of(deps, found.application_id)
        if d.status == "uploaded"
    ]
    return view


@app.post("/operator/applications/<application_id>/decision")
def decide_review(application_id: str) -> Response[str]:
    from shared.review.decisions import decide

    operator = _operator()
    body = _body()
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
    found = repository().get(application_id)
    if found is None:
        raise ApplicationNotFound(application_id)
    updated = decide(review_deps(), found, str(decision), str(reason).strip(), operator.sub)
    if decision == "approve" and not found.task_token:  # a recorded failure: no workflow waits, activate here
        from shared.verification.steps import activate
        from shared.wiring import step_deps

        activate(step_deps(), application_id)
        updated = repository().get(application_id) or updated
    _journal(operator, AccessAction.CHANGE, [updated])
    view = status_view(updated, repository().history(application_id), _measured())
    return json_response(200, view.model_dump(mode="json"))


@app.get("/operator/applications")
def operator_search() -> Response[str]:
    caller = _caller()
    if not caller.is_operator:
        return problem(403, "forbidden")
    status = app.current_event.get_query_string_value("status")
    inn = app.current_event.get_query_string_value("inn")
    queue = app.current_event.get_query_string_value("queue")
    token = app.current_event.get_query_string_value("next_token")
    repo = repository()
    if queue is not None:
        if queue != "review":
            raise InvalidApplication([FieldError(field="queue", code="invalid_value", message="Очередь: review.")])
        page = repo.list_review_queue(_limit(), token)
        _journal(caller, AccessAction.READ, page.items)
        return json_response(200, {"items": [_review_item(a) for a in page.items], "next_token": page.next_token})
    if inn:
        code = identifiers.inn_error(inn)
        if code:
            raise InvalidApplication([FieldError(field="inn", code=code, message=field_message(code))])
        page = repo.list_by_inn_hash(submission_deps().hasher.digest(inn), _limit(), token)
    elif status:
        if status not in Status.__members__.values():
            raise InvalidApplication(
                [FieldError(field="status", code="invalid_value", message=field_message("invalid_value"))]
            )
        page = repo.list_by_status(status, _limit(), token)
    else:
        raise InvalidApplication(
            [FieldError(field="status", code="missing_field", message="Укажите status или inn для поиска.")]
        )
    _journal(caller, AccessAction.READ, page.items)
    return json_response(200, _page_body(page))


@app.exception_handler(SignedXmlError)
def _signed_xml(error: SignedXmlError) -> Response[str]:
    return problem(422, error.code, errors=[FieldError(field=error.field, code=error.code, message=error.message)])


@app.exception_handler(DuplicateApplication)
def _duplicate(error: DuplicateApplication) -> Response[str]:
    extra = {"existing_application_id": error.existing_id} if error.owner_sub == _caller().sub else {}
    return problem(409, "duplicate_application", extra=extra)


@app.exception_handler(CodeProblem)
def _code_problem(error: CodeProblem) -> Response[str]:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    extra = {"tries_left": error.tries_left} if error.tries_left is not None else None
    return problem(error.status, error.code, headers=headers, extra=extra)


@app.exception_handler(ReviewProblem)
def _review_problem(error: ReviewProblem) -> Response[str]:
    return problem(error.status, error.code, detail=error.detail)


@app.exception_handler(ApplicationNotFound)
def _not_found(_: ApplicationNotFound) -> Response[str]:
    return problem(404, "not_found")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(correlation_id=correlation_id_of(event))
    if too_large(event):
        return raw_problem(413, "payload_too_large")
    try:
        return app.resolve(event, context)
    except Exception as error:  # the last line of defence: never a stack trace (or its data) to the client
        if type(error).__name__ == "IdempotencyAlreadyInProgressError":
            return raw_problem(409, "idempotency_conflict", {"Retry-After": "2"})
        if type(error).__name__ == "IdempotencyValidationError":
            return raw_problem(
                422, "validation_failed", {}, detail="Этот Idempotency-Key уже использован с другим телом запроса."
            )
        logger.exception("unhandled error")
        return raw_problem(500, "internal_error", {})
