"""Writes docs/openapi.json: the external contract of DESIGN.md as an OpenAPI 3.1 document.

Routes come from infra/routes.py (what the CDK API deploys), bodies from the pydantic models the
handlers use, so the document is generated, not kept by hand; `python -m scripts.openapi --check`
fails when the committed file is stale (the unit tests run it). Every operation lists every status
its handler or API Gateway can answer, errors as RFC 9457 problem+json.

    python -m scripts.openapi          # rewrite docs/openapi.json
    python -m scripts.openapi --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES
from shared.applications.models import ApplicationBody, StatusView
from shared.applications.prefill import Prefill
from shared.profile.changes import Changes

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Op:
    summary: str
    tag: str
    ok: int
    response: str | None  # a schema name in components, or None for no body
    request: str | None = None
    request_type: str = "application/json"
    errors: tuple[int, ...] = ()
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    headers: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


PAGE = (("limit", "1–100, 20 by default"), ("next_token", "the `next_token` of the previous page"))

OPERATIONS: dict[tuple[str, str], Op] = {
    ("/applications", "POST"): Op(
        "Submit an application (citizen: portal or mobile; operator: office, on a citizen's behalf)",
        "applications",
        202,
        "StatusView",
        "ApplicationBody",
        errors=(403, 409, 422),
        headers=(("Idempotency-Key", "a retried request with the same key answers the first result"),),
    ),
    ("/applications", "GET"): Op(
        "My applications, newest first (office and partner ones join when my SNILS matches)",
        "applications",
        200,
        "StatusViewPage",
        query=PAGE,
        errors=(400,),
    ),
    ("/applications/signed", "POST"): Op(
        "Submit an XML application signed with an electronic signature (docs/signed_xml.md)",
        "applications",
        202,
        "StatusView",
        "SignedXml",
        request_type="application/xml",
        errors=(403, 409, 422, 503),
    ),
    ("/applications/prefill", "GET"): Op(
        "What the identity provider knows about me, to prefill the form", "applications", 200, "Prefill", errors=(502,)
    ),
    ("/applications/{id}", "GET"): Op(
        "The status view of one application", "applications", 200, "StatusView", errors=(404,)
    ),
    ("/applications/{id}/confirmation", "POST"): Op(
        "Enter the 6-digit contact code",
        "applications",
        200,
        "StatusView",
        "ConfirmationCode",
        errors=(404, 409, 410, 422, 429),
    ),
    ("/applications/{id}/confirmation/resend", "POST"): Op(
        "Send a new contact code (once a minute)", "applications", 202, "CodeSent", errors=(404, 409, 429)
    ),
    ("/applications/{id}/contacts", "PATCH"): Op(
        "Correct the phone or email a code could not reach",
        "applications",
        200,
        "StatusView",
        "Contacts",
        errors=(404, 409, 422),
    ),
    ("/applications/{id}/documents", "POST"): Op(
        "A presigned upload for a document the clarification asks for",
        "applications",
        201,
        "Upload",
        "DocumentRequest",
        errors=(404, 409, 422),
    ),
    ("/operator/applications", "GET"): Op(
        "Find applications by status or INN; `queue=review`: waiting for an operator, oldest first",
        "operators",
        200,
        "StatusViewPage",
        query=(
            ("status", "in_progress | needs_clarification | ready | rejected"),
            ("inn", "12 digits"),
            ("queue", "review"),
            *PAGE,
        ),
        errors=(400, 403),
    ),
    ("/operator/applications/{id}/decision", "POST"): Op(
        "Approve or reject an application in review",
        "operators",
        200,
        "StatusView",
        "Decision",
        errors=(403, 404, 409, 422),
    ),
    ("/me/access-log", "GET"): Op(
        "My access journal: who read or changed my data, when and from where, newest first",
        "citizen data",
        200,
        "AccessLogPage",
        query=PAGE,
        errors=(400, 403),
    ),
    ("/profile/change-requests", "POST"): Op(
        "Ask to change my full name, birth date, address or phone; lists the documents still missing",
        "citizen data",
        201,
        "ChangeRequestCreated",
        "ChangeRequestBody",
        errors=(403, 409, 422),
    ),
    ("/profile/change-requests", "GET"): Op(
        "My change requests, newest first", "citizen data", 200, "ChangeRequestPage", query=PAGE, errors=(400, 403)
    ),
    ("/profile/change-requests/{id}", "GET"): Op(
        "One of my change requests", "citizen data", 200, "ChangeRequest", errors=(404,)
    ),
    ("/profile/change-requests/{id}/documents", "POST"): Op(
        "A presigned upload for a supporting document",
        "citizen data",
        201,
        "Upload",
        "DocumentRequest",
        errors=(404, 409, 422),
    ),
    ("/operator/change-requests", "GET"): Op(
        "Change requests by status (in_review by default), oldest first",
        "operators",
        200,
        "ChangeRequestPage",
        query=(("status", "awaiting_documents | in_review | approved | rejected"), *PAGE),
        errors=(400, 403),
    ),
    ("/operator/change-requests/{id}", "GET"): Op(
        "One change request with its documents' download links", "operators", 200, "ChangeRequest", errors=(403, 404)
    ),
    ("/operator/change-requests/{id}/decision", "POST"): Op(
        "Approve (the data is changed) or reject (with the reason) a change request",
        "operators",
        200,
        "ChangeRequest",
        "Decision",
        errors=(403, 404, 409, 422),
    ),
    ("/support/tickets", "POST"): Op(
        "Open a support ticket (optionally about one of my applications, with a screenshot)",
        "support",
        201,
        "TicketCreated",
        "TicketBody",
        errors=(422,),
    ),
    ("/support/tickets", "GET"): Op(
        "My tickets, newest first", "support", 200, "TicketPage", query=PAGE, errors=(400, 403)
    ),
    ("/support/tickets/{id}", "GET"): Op(
        "One of my tickets with its messages", "support", 200, "Ticket", errors=(404,)
    ),
    ("/support/tickets/{id}/messages", "POST"): Op(
        "Add a message to my ticket", "support", 201, "Ticket", "TicketMessage", errors=(404, 409, 422)
    ),
    ("/operator/tickets", "GET"): Op(
        "The support desk: tickets by status, or overdue ones",
        "operators",
        200,
        "TicketPage",
        query=(("status", "open | in_progress | answered | resolved"), ("overdue", "true: past answer_due_at"), *PAGE),
        errors=(400, 403),
    ),
    ("/operator/tickets/{id}", "GET"): Op("One ticket, for an operator", "operators", 200, "Ticket", errors=(403, 404)),
    ("/operator/tickets/{id}", "PATCH"): Op(
        "Assign, answer or resolve a ticket", "operators", 200, "Ticket", "TicketUpdate", errors=(403, 404, 409, 422)
    ),
}

ERROR_TEXT = {
    400: "A query parameter is invalid",
    401: "No valid token (API Gateway's authorizer)",
    403: "Not allowed for this account (or blocked by the WAF)",
    404: "No such resource for this caller (someone else's looks the same)",
    409: "Conflicts with the resource's state",
    410: "Expired",
    413: "The body is over 64 KiB (the function, or 403 from the WAF)",
    422: "The body is invalid: every field at fault in `errors`",
    429: "Too many requests or tries (`Retry-After`)",
    500: "Internal error (nothing of the request is lost)",
    502: "An upstream service did not answer",
    503: "This channel is not available",
}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _page(item: str) -> dict[str, Any]:
    return _obj(
        ["items", "next_token"],
        items={"type": "array", "items": {"$ref": REF.format(model=item)}},
        next_token={"type": ["string", "null"]},
    )


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}
DOCUMENT_TYPES = ["passport", "snils", "inn_certificate", "registration_certificate", "marriage_certificate", "other"]

HAND_WRITTEN: dict[str, dict[str, Any]] = {
    "Problem": _obj(
        ["type", "title", "status", "detail"],
        type=STRING,
        title=STRING,
        status={"type": "integer"},
        detail=STRING,
        code=STRING,
        errors={
            "type": "array",
            "items": _obj(
                ["field", "code", "message"],
                field=STRING,
                code=STRING,
                message=STRING,
                suggestions={"type": ["array", "null"], "items": STRING},
            ),
        },
    ),
    "SignedXml": {"type": "string", "description": "urn:tax-cabinet:application:1, enveloped XMLDSig"},
    "ConfirmationCode": _obj(["code"], code={"type": "string", "pattern": "^[0-9]{6}$"}),
    "CodeSent": _obj(["sent_to", "expires_at"], sent_to=STRING, expires_at=DATE_TIME),
    "Contacts": _obj([], phone=STRING, email=STRING, confirmation_channel={"enum": ["sms", "email"]}),
    "DocumentRequest": _obj(
        ["type", "content_type", "size"],
        type={"enum": DOCUMENT_TYPES},
        content_type={"enum": ["application/pdf", "image/jpeg", "image/png"]},
        size={"type": "integer", "minimum": 1, "maximum": 10 * 1024 * 1024},
    ),
    "Upload": _obj(
        ["upload_url", "fields", "method"],
        document_id=STRING,
        upload_url=STRING,
        fields={"type": "object", "additionalProperties": STRING},
        method={"const": "POST"},
        expires_in={"type": "integer"},
    ),
    "Decision": _obj(
        ["decision", "reason"], decision={"enum": ["approve", "reject"]}, reason={"type": "string", "minLength": 3}
    ),
    "AccessEntry": _obj(
        ["at", "actor_role", "actor", "action", "action_label", "resource", "resource_label", "resource_id", "source"],
        at=DATE_TIME,
        actor_role={"enum": ["citizen", "operator", "partner", "system"]},
        actor=STRING,
        actor_id=NULLABLE_STRING,
        action={"enum": ["read", "create", "change"]},
        action_label=STRING,
        resource=STRING,
        resource_label=STRING,
        resource_id=STRING,
        source=STRING,
    ),
    "ChangeRequestBody": _obj(
        ["changes"],
        changes={"$ref": REF.format(model="Changes")},  # the model: null is "no change", unknown fields refused
        # null: no documents yet, as an absent field
        documents={"type": ["array", "null"], "items": {"$ref": REF.format(model="DocumentRequest")}},
    ),
    "ChangeRequest": _obj(
        [
            "request_id",
            "application_id",
            "status",
            "status_label",
            "required_documents",
            "missing_documents",
            "documents",
        ],
        request_id=STRING,
        application_id=STRING,
        changes={"type": "object"},
        status={"enum": ["awaiting_documents", "in_review", "approved", "rejected"]},
        status_label=STRING,
        required_documents={"type": "array", "items": STRING},
        missing_documents={"type": "array", "items": STRING},
        documents={"type": "array", "items": {"type": "object"}},
        verification_due_at={"type": ["string", "null"], "format": "date-time"},
        reason=NULLABLE_STRING,
        fix=NULLABLE_STRING,
    ),
    "ChangeRequestCreated": {
        "allOf": [
            {"$ref": REF.format(model="ChangeRequest")},
            _obj(["uploads"], uploads={"type": "array", "items": {"$ref": REF.format(model="Upload")}}),
        ]
    },
    "TicketBody": _obj(
        ["inn", "full_name", "phone", "description"],
        inn=STRING,
        full_name={"$ref": REF.format(model="FullName")},
        phone=STRING,
        description={"type": "string", "minLength": 10, "maxLength": 4000},
        channel={"enum": ["form", "email"]},
        email=NULLABLE_STRING,
        application_id=NULLABLE_STRING,
        screenshot={
            "type": ["object", "null"],
            "properties": {"content_type": {"enum": ["image/png", "image/jpeg"]}, "size": {"type": "integer"}},
        },
    ),
    "Ticket": _obj(
        ["ticket_id", "number", "status", "status_label", "channel", "created_at", "answer_due_at", "overdue"],
        ticket_id=STRING,
        number={"type": "string", "pattern": "^ЛК-[0-9]{6}$"},
        status={"enum": ["open", "in_progress", "answered", "resolved"]},
        status_label=STRING,
        channel={"enum": ["form", "email", "system"]},
        created_at=DATE_TIME,
        updated_at=DATE_TIME,
        answer_due_at={"type": ["string", "null"], "format": "date-time"},
        answered_at={"type": ["string", "null"], "format": "date-time"},
        overdue={"type": "boolean"},
        application_id=NULLABLE_STRING,
        complaint={
            "type": ["object", "null"],
            "properties": {"number": STRING, "filed_at": DATE_TIME, "addressee": STRING},
        },
        description=STRING,
        messages={
            "type": "array",
            "items": _obj(
                ["at", "author", "text"], at=DATE_TIME, author={"enum": ["citizen", "operator", "system"]}, text=STRING
            ),
        },
    ),
    "TicketCreated": {
        "allOf": [
            {"$ref": REF.format(model="Ticket")},
            {"type": "object", "properties": {"screenshot_upload": {"$ref": REF.format(model="Upload")}}},
        ]
    },
    "TicketMessage": _obj(["text"], text={"type": "string", "minLength": 1, "maxLength": 4000}),
    # null is "no change", as an absent field (shared/support/tickets.py TicketChange)
    "TicketUpdate": _obj(
        [],
        assignee={"type": ["string", "null"], "minLength": 1, "maxLength": 100},
        status={"enum": ["in_progress", "answered", "resolved", None]},
        answer=NULLABLE_STRING,
    ),
    "StatusViewPage": _page("StatusView"),
    "AccessLogPage": _page("AccessEntry"),
    "ChangeRequestPage": _page("ChangeRequest"),
    "TicketPage": _page("Ticket"),
}


# A valid request body per request schema: Swagger UI pre-fills "Try it out" with it, and the fuzzing
# suite starts from it (a random body almost never has valid INN and SNILS checksums). The INN is a
# taxpayer the local FNS simulator knows (localcloud/fns_seed.json).
FULL_NAME_EXAMPLE = {"last": "Иванов", "first": "Иван", "middle": "Иванович"}
REQUEST_EXAMPLES: dict[str, Any] = {
    "ApplicationBody": {
        "inn": "500100732259",
        "snils": "112-233-445 95",
        "birth_date": "1990-05-17",
        "email": "ivanov@example.ru",
        "phone": "+79123456789",
        "full_name": FULL_NAME_EXAMPLE,
        "passport": {"series": "4509", "number": "123456", "issued_on": "2015-06-01", "division_code": "770-001"},
        "address": {"text": "г. Москва, ул. Тверская, д. 1, кв. 1", "fias_id": None},
        "workplace": None,
        "channel": "portal",
    },
    "ConfirmationCode": {"code": "123456"},
    "Contacts": {"phone": "+79123456789", "confirmation_channel": "sms"},
    "DocumentRequest": {"type": "passport", "content_type": "application/pdf", "size": 524288},
    "Decision": {"decision": "approve", "reason": "Документы проверены"},
    "ChangeRequestBody": {"changes": {"phone": "+79161234567"}},
    "TicketBody": {
        "inn": "500100732259",
        "full_name": FULL_NAME_EXAMPLE,
        "phone": "+79123456789",
        "description": "Не приходит код подтверждения, хотя номер указан верно.",
    },
    "TicketMessage": {"text": "Код так и не пришёл."},
    "TicketUpdate": {"status": "answered", "answer": "Код отправлен повторно."},
}


def _model_schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [
        (ApplicationBody, "validation"),
        (StatusView, "serialization"),
        (Prefill, "serialization"),
        (Changes, "validation"),
    ]
    _, schema = models_json_schema(models, ref_template=REF)
    return dict(schema.get("$defs", {}))


def _operation(path: str, method: str, op: Op) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    if "{id}" in path:
        params.append({"name": "id", "in": "path", "required": True, "schema": STRING})
    params += [{"name": n, "in": "query", "required": False, "description": d, "schema": STRING} for n, d in op.query]
    params += [
        {"name": n, "in": "header", "required": False, "description": d, "schema": STRING} for n, d in op.headers
    ]
    ok: dict[str, Any] = {"description": op.summary}
    if op.response:
        ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=op.response)}}}
    problem = {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    responses = {str(op.ok): ok}
    errors = {401, 500, *op.errors, *((413,) if op.request else ())}
    for status in sorted(errors):
        responses[str(status)] = {"description": ERROR_TEXT[status], "content": problem}
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": responses,
    }
    if op.request:
        media: dict[str, Any] = {"schema": {"$ref": REF.format(model=op.request)}}
        if op.request in REQUEST_EXAMPLES:
            media["example"] = REQUEST_EXAMPLES[op.request]
        operation["requestBody"] = {"required": True, "content": {op.request_type: media}}
    return operation


def document() -> dict[str, Any]:
    routes = [*APPLICATION_ROUTES, *PROFILE_ROUTES, *SUPPORT_ROUTES]
    missing = set(routes) ^ set(OPERATIONS)
    if missing:
        raise SystemExit(f"routes and OPERATIONS differ: {sorted(missing)}")
    paths: dict[str, dict[str, Any]] = {}
    for path, method in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, OPERATIONS[(path, method)])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tax cabinet onboarding API",
            "version": "1.0.0",
            "description": "Generated by scripts/openapi.py from infra/routes.py and shared/ models. "
            "Messages are in Russian, codes in English; lists answer {items, next_token}.",
        },
        "servers": [
            {"url": "/v1", "description": "API Gateway stage (the local cloud serves the same paths at its root)"}
        ],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": dict(sorted({**_model_schemas(), **HAND_WRITTEN}.items())),
        },
    }


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run `python -m scripts.openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
