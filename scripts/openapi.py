"""Writes docs/openapi.json, the API's external contract as OpenAPI 3.1, from the routes and the models.

- Operations: ROUTES has one row per route of infra/routes.py (what the CDK API deploys); a route
  without a row, or a row without a route, stops the generator. A row names the request and response
  bodies, the success status, the errors the handler or API Gateway can answer (RFC 9457
  problem+json), the query parameters and headers.
- Bodies: `"package.module:Model"` names a pydantic model; its schema is the model's own
  (`models_json_schema`: validation mode for a request, serialization mode for a response), the
  models it nests collected from `$defs` into `components.schemas`. `AnyOf(a, b)` is an answer of
  either model (the route answers one or the other by its query). Every error answer is PROBLEM,
  the model of shared/api/problem.py. `Hand("Name")` names one of HAND_WRITTEN, the schemas no
  model can give, each with its reason; the generator refuses an entry nothing refers to.
- A model's answer schema is the one pydantic derives from its fields, unless the model has a
  `model_serializer`: then it is the serializer's return type (`dict[str, Any]`: a bare object). So
  an answer's model leaves a key out with `Field(exclude_if=...)`, not with a serializer
  (tests/unit/test_openapi.py refuses an object schema without properties), and every answer the API
  functions give in tests/integration is checked against this document (tests/support/openapi_answers.py).

    python -m scripts.openapi          # rewrite docs/openapi.json
    python -m scripts.openapi --check  # exit 1 if the committed file is out of date (tests/unit/test_openapi.py)
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"
Mode = JsonSchemaMode  # "validation" for a request body, "serialization" for a response body


@dataclass(frozen=True)
class Hand:
    """A schema of HAND_WRITTEN, by its component name."""

    name: str


@dataclass(frozen=True)
class AnyOf:
    """An answer of one of these models ("package.module:Model" each)."""

    models: tuple[str, ...]

    def __init__(self, *models: str) -> None:
        object.__setattr__(self, "models", models)


Body = str | Hand | AnyOf  # str: a pydantic model, "package.module:Model"
PROBLEM = "shared.api.problem:Problem"  # every 4xx and 5xx answer (application/problem+json)
DECISION = "shared.api.bodies:DecisionRequest"  # both decision routes


@dataclass(frozen=True)
class Route:
    summary: str
    tag: str
    ok: int  # the success status
    response: Body | None  # None: no body
    request: Body | None = None
    request_type: str = "application/json"
    errors: tuple[int, ...] = ()  # besides 401 and 500 (every route) and 413 (every route with a body)
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    headers: tuple[tuple[str, str], ...] = ()  # (name, description)
    example: str | None = None  # a key of REQUEST_EXAMPLES


PAGE = (("limit", "1–100, 20 by default"), ("next_token", "the `next_token` of the previous page"))

# The one table: route → bodies and statuses.
ROUTES: dict[tuple[str, str], Route] = {
    ("/applications", "POST"): Route(
        "Submit an application (citizen: portal or mobile; operator: office, on a citizen's behalf)",
        "applications",
        202,
        request="shared.applications.models:ApplicationBody",
        response="shared.applications.models:StatusView",
        errors=(403, 409, 422),
        headers=(("Idempotency-Key", "a retried request with the same key answers the first result"),),
        example="ApplicationBody",
    ),
    ("/applications", "GET"): Route(
        "My applications, newest first (office and partner ones join when my SNILS matches)",
        "applications",
        200,
        response="shared.applications.views:ApplicationPage",
        query=PAGE,
        errors=(400,),
    ),
    ("/applications/signed", "POST"): Route(
        "Submit an XML application signed with an electronic signature (docs/signed_xml.md)",
        "applications",
        202,
        request=Hand("SignedXml"),
        request_type="application/xml",
        response="shared.applications.models:StatusView",
        errors=(403, 409, 422, 503),
    ),
    ("/applications/prefill", "GET"): Route(
        "What the identity provider knows about me, to prefill the form",
        "applications",
        200,
        response="shared.applications.prefill:Prefill",
        errors=(502,),
    ),
    ("/applications/{id}", "GET"): Route(
        "The status view of one application",
        "applications",
        200,
        response="shared.applications.models:StatusView",
        errors=(404,),
    ),
    ("/applications/{id}/confirmation", "POST"): Route(
        "Enter the 6-digit contact code",
        "applications",
        200,
        request="shared.contact.confirmation:ConfirmationRequest",
        response="shared.applications.models:StatusView",
        errors=(404, 409, 410, 422, 429),
        example="ConfirmationCode",
    ),
    ("/applications/{id}/confirmation/resend", "POST"): Route(
        "Send a new contact code (once a minute)",
        "applications",
        202,
        response="shared.applications.views:CodeSent",
        errors=(404, 409, 429),
    ),
    ("/applications/{id}/contacts", "PATCH"): Route(
        "Correct the phone or email a code could not reach",
        "applications",
        200,
        request="shared.contact.confirmation:ContactsChange",
        response="shared.applications.models:StatusView",
        errors=(404, 409, 422),
        example="Contacts",
    ),
    ("/applications/{id}/documents", "POST"): Route(
        "A presigned upload for a document the clarification asks for",
        "applications",
        201,
        request="shared.review.decisions:DocumentRequest",
        response="shared.review.decisions:DocumentUpload",
        errors=(404, 409, 422),
        example="DocumentRequest",
    ),
    ("/operator/applications", "GET"): Route(
        "Find applications by status or INN; `queue=review`: waiting for an operator, oldest first",
        "operators",
        200,
        response=AnyOf("shared.applications.views:ApplicationPage", "shared.review.views:ReviewPage"),
        query=(
            ("status", "in_progress | needs_clarification | ready | rejected"),
            ("inn", "12 digits"),
            ("queue", "review"),
            *PAGE,
        ),
        errors=(400, 403),
    ),
    ("/operator/applications/{id}/decision", "POST"): Route(
        "Approve or reject an application in review",
        "operators",
        200,
        request=DECISION,
        response="shared.applications.models:StatusView",
        errors=(403, 404, 409, 422),
        example="Decision",
    ),
    ("/me/access-log", "GET"): Route(
        "My access journal: who read or changed my data, when and from where, newest first",
        "citizen data",
        200,
        response="shared.journal.access:AccessLogPage",
        query=PAGE,
        errors=(400, 403),
    ),
    ("/profile/change-requests", "POST"): Route(
        "Ask to change my full name, birth date, address or phone; lists the documents still missing",
        "citizen data",
        201,
        request="shared.profile.changes:ChangeRequestBody",
        response="shared.profile.views:ChangeRequestCreated",
        errors=(403, 409, 422),
        example="ChangeRequestBody",
    ),
    ("/profile/change-requests", "GET"): Route(
        "My change requests, newest first",
        "citizen data",
        200,
        response="shared.profile.views:ChangeRequestPage",
        query=PAGE,
        errors=(400, 403),
    ),
    ("/profile/change-requests/{id}", "GET"): Route(
        "One of my change requests",
        "citizen data",
        200,
        response="shared.profile.views:ChangeRequestView",
        errors=(404,),
    ),
    ("/profile/change-requests/{id}/documents", "POST"): Route(
        "A presigned upload for a supporting document",
        "citizen data",
        201,
        request="shared.review.decisions:DocumentRequest",
        response="shared.profile.changes:ChangeDocumentUpload",
        errors=(404, 409, 422),
        example="DocumentRequest",
    ),
    ("/operator/change-requests", "GET"): Route(
        "Change requests by status (in_review by default), oldest first",
        "operators",
        200,
        response="shared.profile.views:OperatorChangeRequestPage",
        query=(("status", "awaiting_documents | in_review | approved | rejected"), *PAGE),
        errors=(400, 403),
    ),
    ("/operator/change-requests/{id}", "GET"): Route(
        "One change request with its documents' download links",
        "operators",
        200,
        response="shared.profile.views:OperatorChangeRequestView",
        errors=(403, 404),
    ),
    ("/operator/change-requests/{id}/decision", "POST"): Route(
        "Approve (the data is changed) or reject (with the reason) a change request",
        "operators",
        200,
        request=DECISION,
        response="shared.profile.views:OperatorChangeRequestView",
        errors=(403, 404, 409, 422),
        example="Decision",
    ),
    ("/support/tickets", "POST"): Route(
        "Open a support ticket (optionally about one of my applications, with a screenshot)",
        "support",
        201,
        request="shared.support.requests:TicketRequest",
        response="shared.support.views:TicketCreated",
        errors=(422,),
        example="TicketBody",
    ),
    ("/support/tickets", "GET"): Route(
        "My tickets, newest first",
        "support",
        200,
        response="shared.support.views:TicketPage",
        query=PAGE,
        errors=(400, 403),
    ),
    ("/support/tickets/{id}", "GET"): Route(
        "One of my tickets with its messages",
        "support",
        200,
        response="shared.support.views:CitizenTicketView",
        errors=(404,),
    ),
    ("/support/tickets/{id}/messages", "POST"): Route(
        "Add a message to my ticket",
        "support",
        201,
        request="shared.support.requests:MessageRequest",
        response="shared.support.views:CitizenTicketView",
        errors=(404, 409, 422),
        example="TicketMessage",
    ),
    ("/operator/tickets", "GET"): Route(
        "The support desk: tickets by status, or overdue ones",
        "operators",
        200,
        response="shared.support.views:DeskPage",
        query=(("status", "open | in_progress | answered | resolved"), ("overdue", "true: past answer_due_at"), *PAGE),
        errors=(400, 403),
    ),
    ("/operator/tickets/{id}", "GET"): Route(
        "One ticket, for an operator",
        "operators",
        200,
        response="shared.support.views:OperatorTicketView",
        errors=(403, 404),
    ),
    ("/operator/tickets/{id}", "PATCH"): Route(
        "Assign, answer or resolve a ticket",
        "operators",
        200,
        request="shared.support.requests:TicketChange",
        response="shared.support.views:HandledTicketView",
        errors=(403, 404, 409, 422),
        example="TicketUpdate",
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

# Where a generated client sends its requests: servers[0] unless told otherwise. The local cloud comes
# first, so a client generated from a fresh clone talks to `make dev` as it is; the deployed API needs
# its id and region (the stack's `ApiUrl` output) as the server's variables.
SERVERS: list[dict[str, Any]] = [
    {
        "url": "http://127.0.0.1:3000",
        "description": "The local cloud (`make dev`; another port with `PORT=...`): the API at its root, "
        "tokens from `POST /_local/token`",
    },
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com/v1",
        "description": "The deployed API Gateway stage `v1`: `api_id` and `region` as in the stack's `ApiUrl` "
        "output (`make deploy` prints it); tokens from the identity provider",
        "variables": {
            "api_id": {"default": "api-id", "description": "the REST API's id, the first label of `ApiUrl`"},
            "region": {"default": "eu-west-1", "description": "the AWS region the stack is deployed in"},
        },
    },
]


# --- the schemas no model can give ----------------------------------------------------------------


def _hand(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


STRING = {"type": "string"}


@dataclass(frozen=True)
class Written:
    reason: str
    schema: dict[str, Any]


HAND_WRITTEN: dict[str, Written] = {
    "SignedXml": Written(
        "an XML document (application/xml), not JSON: no pydantic model describes it",
        {"type": "string", "description": "urn:tax-cabinet:application:1, enveloped XMLDSig"},
    ),
}


# A valid request body per request: Swagger UI pre-fills "Try it out" with it, and the fuzzing suite
# starts from it (a random body almost never has valid INN and SNILS checksums). The INN is a taxpayer
# the local FNS simulator knows (localcloud/fns_seed.json).
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


# --- the document ---------------------------------------------------------------------------------


def model(path: str) -> type[BaseModel]:
    """The pydantic model named "package.module:Model"."""
    module, _, name = path.partition(":")
    found = getattr(importlib.import_module(module), name, None)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise SystemExit(f"{path} is not a pydantic model")
    return found


def _models(body: Body) -> tuple[str, ...]:
    if isinstance(body, str):
        return (body,)
    if isinstance(body, AnyOf):
        return body.models
    return ()


def _uses() -> list[tuple[type[BaseModel], Mode]]:
    """Every (model, mode) the document needs, once each, in a stable order."""
    uses: dict[tuple[type[BaseModel], Mode], None] = {}
    for route in ROUTES.values():
        for path in _models(route.request) if route.request is not None else ():
            uses[model(path), "validation"] = None
        for path in _models(route.response) if route.response is not None else ():
            uses[model(path), "serialization"] = None
    uses[model(PROBLEM), "serialization"] = None
    return list(uses)


def _name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).removeprefix(REF.format(model=""))


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str):
            yield _name(schema)
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


class Schemas:
    """`components.schemas`: the models' schemas, then the hand-written ones."""

    def __init__(self) -> None:
        refs, top = models_json_schema(_uses(), ref_template=REF)
        self._refs = refs
        self.generated: dict[str, Any] = dict(top.get("$defs", {}))
        self.written: dict[str, Any] = {name: w.schema for name, w in HAND_WRITTEN.items()}
        for name in self.written:
            if name in self.generated:
                raise SystemExit(f"hand-written schema {name} has a model's name: rename it or use the model")

    def ref(self, path: str, mode: Mode) -> dict[str, Any]:
        return dict(self._refs[model(path), mode])

    def body(self, body: Body, mode: Mode) -> dict[str, Any]:
        """The `$ref` of a request or response body (`anyOf` the `$ref`s of an AnyOf)."""
        if isinstance(body, str):
            return self.ref(body, mode)
        if isinstance(body, AnyOf):
            return {"anyOf": [self.ref(path, mode) for path in body.models]}
        if body.name not in HAND_WRITTEN:
            raise SystemExit(f"Hand({body.name!r}) is not in HAND_WRITTEN")
        return _hand(body.name)

    def all(self, paths: dict[str, Any]) -> dict[str, Any]:
        """Every schema, sorted; a hand-written one the paths never reach is an error (a leftover)."""
        schemas = {**self.generated, **self.written}
        reached: set[str] = set()
        todo = list(_refs(paths))
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo.extend(_refs(schemas[name]))
        unused = set(self.written) - reached
        if unused:
            raise SystemExit(f"hand-written schemas no route uses: {sorted(unused)} (remove them from HAND_WRITTEN)")
        return dict(sorted(schemas.items()))


def _operation(path: str, method: str, route: Route, schemas: Schemas) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    if "{id}" in path:
        params.append({"name": "id", "in": "path", "required": True, "schema": STRING})
    params += [
        {"name": n, "in": "query", "required": False, "description": d, "schema": STRING} for n, d in route.query
    ]
    params += [
        {"name": n, "in": "header", "required": False, "description": d, "schema": STRING} for n, d in route.headers
    ]
    ok: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": schemas.body(route.response, "serialization")}}
    problem = {"application/problem+json": {"schema": schemas.ref(PROBLEM, "serialization")}}
    responses = {str(route.ok): ok}
    errors = {401, 500, *route.errors, *((413,) if route.request is not None else ())}
    for status in sorted(errors):
        responses[str(status)] = {"description": ERROR_TEXT[status], "content": problem}
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": params,
        "responses": responses,
    }
    if route.request is not None:
        media: dict[str, Any] = {"schema": schemas.body(route.request, "validation")}
        if route.example is not None:
            media["example"] = REQUEST_EXAMPLES[route.example]
        operation["requestBody"] = {"required": True, "content": {route.request_type: media}}
    return operation


def document() -> dict[str, Any]:
    routes = [*APPLICATION_ROUTES, *PROFILE_ROUTES, *SUPPORT_ROUTES]
    differ = set(routes) ^ set(ROUTES)
    if differ:
        raise SystemExit(f"infra/routes.py and ROUTES differ: {sorted(differ)}")
    schemas = Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for path, method in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, ROUTES[(path, method)], schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tax cabinet onboarding API",
            "version": "1.0.0",
            "description": "Generated by scripts/openapi.py from infra/routes.py and the pydantic models in shared/. "
            "Messages are in Russian, codes in English; lists answer {items, next_token}. Two servers, the same "
            "paths: the local cloud (the API at its root) and the deployed API Gateway stage (`/v1`).",
        },
        "servers": SERVERS,
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": schemas.all(paths),
        },
    }


def hand_written() -> dict[str, str]:
    """Every schema of the document written here rather than taken from a model, with its reason."""
    return {name: w.reason for name, w in HAND_WRITTEN.items()}


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
    written = hand_written()
    print(
        f"wrote {TARGET.relative_to(ROOT)}: {len(ROUTES)} operations, {len(written)} hand-written schemas "
        f"({', '.join(sorted(written))})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
