"""Suite: access (issue 5, "The suites"), driven by every route of infra/routes.py.

Citizen A owns real resources: an application that reached `ready`, one waiting for its contact
code, a profile change request waiting for its document and a support ticket. Then:
- no token, a malformed one, an unsigned one (`alg: none`) and A's own token with its payload
  changed → 401 on every route;
- citizen B with A's ids → 404 on every citizen route that takes an id, the same answer as for an
  id that does not exist (nothing tells B that A's exists), and B's calls change nothing of A's
  (history, contact-code tries, codes sent, change request, ticket, A's access journal);
- a non-operator (B, A itself, an unconfirmed account) on every operator route → 403, with a
  real id and with a made-up one alike;
- an operator on the citizen-only routes the code closes to operators → 403, and on the owner-only
  id routes → 404 (an operator reads applications, tickets and change requests through the desk).
A route added to infra/routes.py and missing from the tables below fails the suite.

The suite has one size (`make suite-access` and `make test` run the same checks).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.routes import APPLICATION_ROUTES, PROFILE_ROUTES, SUPPORT_ROUTES
from tests.support.local_cloud import LocalCloud, application_body, register_taxpayer
from tests.support.suites import report

pytestmark = pytest.mark.xdist_group("e2e")

ROUTES = [(method, path) for path, method in (*APPLICATION_ROUTES, *PROFILE_ROUTES, *SUPPORT_ROUTES)]

# The resource an `{id}` names, by the path's first segments.
RESOURCE_OF = {
    "/applications/{id}": "application",
    "/operator/applications/{id}": "application",
    "/profile/change-requests/{id}": "change_request",
    "/operator/change-requests/{id}": "change_request",
    "/support/tickets/{id}": "ticket",
    "/operator/tickets/{id}": "ticket",
}
# A valid body for each route that takes one: the refusal must come from who is calling.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/applications"): application_body(),
    ("POST", "/applications/signed"): "<application/>",
    ("POST", "/applications/{id}/confirmation"): {"code": "000000"},
    ("POST", "/applications/{id}/confirmation/resend"): {},
    ("PATCH", "/applications/{id}/contacts"): {"phone": "+79160000001"},
    ("POST", "/applications/{id}/documents"): {"type": "passport", "content_type": "application/pdf", "size": 1000},
    ("POST", "/operator/applications/{id}/decision"): {"decision": "approve", "reason": "Документы проверены"},
    ("POST", "/profile/change-requests"): {"changes": {"phone": "+79160000002"}},
    ("POST", "/profile/change-requests/{id}/documents"): {
        "type": "registration_certificate",
        "content_type": "application/pdf",
        "size": 1000,
    },
    ("POST", "/operator/change-requests/{id}/decision"): {"decision": "reject", "reason": "Документ не читается"},
    ("POST", "/support/tickets"): {
        "inn": "500100732259",
        "full_name": {"last": "Соколова", "first": "Ольга", "middle": "Ивановна"},
        "phone": "+79160000003",
        "description": "Проверка доступа",
    },
    ("POST", "/support/tickets/{id}/messages"): {"text": "Чужое сообщение"},
    ("PATCH", "/operator/tickets/{id}"): {"answer": "Чужой ответ", "status": "resolved"},
}
# Citizen-only routes the code closes to operators (403), the others answering an operator 404
# (owner only) or as usual (GET /applications/{id}: an operator may read any application).
OPERATOR_FORBIDDEN = {
    ("POST", "/applications/signed"),
    ("GET", "/me/access-log"),
    ("POST", "/profile/change-requests"),
    ("GET", "/profile/change-requests"),
}
OPERATOR_READS = {("GET", "/applications/{id}")}


def _is_operator_route(path: str) -> bool:
    return path.startswith("/operator/")


def _resource(path: str) -> str | None:
    if "{id}" not in path:
        return None
    return RESOURCE_OF[path[: path.index("{id}") + 4]]


@dataclass
class World:
    cloud: LocalCloud
    a: str  # citizen A's token
    b: str  # citizen B's token
    a_sub: str
    b_sub: str
    operator: str
    unconfirmed: str
    ids: dict[str, list[str]] = field(default_factory=dict)  # resource → A's ids
    pending: tuple[str, str] = ("", "")  # A's application waiting for its code, and its phone
    calls: int = 0

    def call(self, method: str, path: str, token: str | None, resource_id: str | None = None, **kw: Any) -> Any:
        self.calls += 1
        target = path.replace("{id}", resource_id or "")
        body = BODIES.get((method, path))
        if body is not None and "json" not in kw and "data" not in kw:
            if isinstance(body, str):
                kw = {**kw, "data": body.encode(), "headers": {"Content-Type": "application/xml"}}
            else:
                kw = {**kw, "json": body}
        return self.cloud.call(method, target, token, **kw)


@pytest.fixture(scope="module")
def world(cloud: LocalCloud) -> Iterator[World]:
    run = uuid.uuid4().hex[:8]
    a_sub, b_sub = f"suite-access-a-{run}", f"suite-access-b-{run}"
    world = World(
        cloud=cloud,
        a=cloud.token(a_sub),
        b=cloud.token(b_sub),
        a_sub=a_sub,
        b_sub=b_sub,
        operator=cloud.token(f"suite-access-operator-{run}", roles=["operator"]),
        unconfirmed=cloud.token(f"suite-access-standard-{run}", level="standard"),
    )
    # A's application that reaches `ready` (a change request needs an active cabinet) ...
    body = application_body()
    register_taxpayer(cloud, body)
    reply = cloud.call("POST", "/applications", world.a, json=body)
    assert reply.status_code == 202, reply.text
    ready_id = reply.json()["application_id"]
    assert cloud.confirm(ready_id, world.a, body["phone"]).status_code == 200
    cloud.wait_for(ready_id, world.a, {"ready"})
    # ... one waiting for its contact code ...
    pending_body = application_body()
    reply = cloud.call("POST", "/applications", world.a, json=pending_body)
    assert reply.status_code == 202, reply.text
    pending_id = reply.json()["application_id"]
    cloud.latest_code(pending_body["phone"])
    world.pending = (pending_id, pending_body["phone"])
    # ... a change request waiting for its document, and a support ticket.
    change = cloud.call(
        "POST",
        "/profile/change-requests",
        world.a,
        json={"changes": {"address": {"text": "г. Казань, ул. Баумана, д. 5, кв. 7", "fias_id": None}}},
    )
    assert change.status_code == 201, change.text
    ticket = cloud.call("POST", "/support/tickets", world.a, json={**BODIES[("POST", "/support/tickets")]})
    assert ticket.status_code == 201, ticket.text
    world.ids = {
        "application": [ready_id, pending_id],
        "change_request": [change.json()["request_id"]],
        "ticket": [ticket.json()["ticket_id"]],
    }
    yield world


def _a_ids(world: World, path: str) -> list[str | None]:
    resource = _resource(path)
    return list(world.ids[resource]) if resource else [None]


def _forged(token: str, **claims: Any) -> str:
    """The token with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    encoded = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def _unsigned(token: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{token.split('.')[1]}."


def _code(reply: Any) -> str | None:
    try:
        return reply.json().get("code")
    except (ValueError, AttributeError):
        return None


def test_every_route_is_classified() -> None:
    for method, path in ROUTES:
        if "{id}" in path:
            assert _resource(path), f"{method} {path}: which resource does its id name? (RESOURCE_OF)"
        if method in ("POST", "PATCH"):
            assert (method, path) in BODIES, f"{method} {path}: add a valid body to BODIES"
    assert set(ROUTES) >= OPERATOR_FORBIDDEN | OPERATOR_READS


def test_no_valid_token_is_401_on_every_route(world: World) -> None:
    started = time.monotonic()
    bad_tokens = {
        "no token": None,
        "not a JWT": "not-a-token",
        "unsigned (alg none)": _unsigned(world.a),
        "payload changed": _forged(world.a, sub=world.b_sub, roles=["operator"]),
    }
    refused = []
    for method, path in ROUTES:
        for label, token in bad_tokens.items():
            for resource_id in _a_ids(world, path):
                reply = world.call(method, path, token, resource_id)
                refused.append((method, path, label, reply.status_code))
    wrong = [r for r in refused if r[3] != 401]
    report(
        "access: no valid token",
        {
            "routes": len(ROUTES),
            "calls": f"{len(refused)} ({', '.join(bad_tokens)})",
            "answered 401": f"{len(refused) - len(wrong)} of {len(refused)}",
            "wall time": f"{time.monotonic() - started:.1f} s",
        },
    )
    assert not wrong, wrong


def _snapshot_of_a(world: World) -> dict[str, Any]:
    cloud = world.cloud
    ready_id, pending_id = world.ids["application"]
    ready = cloud.call("GET", f"/applications/{ready_id}", world.a).json()
    change = cloud.call("GET", f"/profile/change-requests/{world.ids['change_request'][0]}", world.a).json()
    ticket = cloud.call("GET", f"/support/tickets/{world.ids['ticket'][0]}", world.a).json()
    code = cloud.aws("dynamodb").get_item(
        TableName=cloud.info["table_name"], Key={"pk": {"S": f"APP#{pending_id}"}, "sk": {"S": "CODE"}}
    )["Item"]
    return {
        "ready application": {k: ready[k] for k in ("status", "updated_at", "history", "required_actions")},
        "contact code": {k: code.get(k) for k in ("attempts", "issued_at", "expires_at")},
        "codes sent": len(cloud.codes_sent_to(world.pending[1])),
        "change request": change,
        "ticket": {k: ticket.get(k) for k in ("status", "messages", "updated_at")},
    }


def _journal_actors(world: World) -> set[str]:
    cloud = world.cloud
    items = cloud.aws("dynamodb").query(
        TableName=cloud.info["table_name"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"JOURNAL#{world.a_sub}"}},
        ConsistentRead=True,
    )["Items"]
    return {i.get("actor_id", {}).get("S", "") for i in items}


def test_another_citizens_ids_are_not_found(world: World) -> None:
    started = time.monotonic()
    before = _snapshot_of_a(world)
    answers = []
    for method, path in ROUTES:
        if "{id}" not in path or _is_operator_route(path):
            continue
        for resource_id in _a_ids(world, path):
            mine = world.call(method, path, world.b, resource_id)
            nobody = world.call(method, path, world.b, str(uuid.uuid4()))
            answers.append(
                (method, path, resource_id, mine.status_code, _code(mine), nobody.status_code, _code(nobody))
            )
    # B insists on A's code: tries that counted would lock it after 5.
    pending_id = world.ids["application"][1]
    for _ in range(6):
        world.call("POST", "/applications/{id}/confirmation", world.b, pending_id)
    after = _snapshot_of_a(world)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    wrong = [a for a in answers if a[3] != 404 or (a[3], a[4]) != (a[5], a[6])]
    report(
        "access: citizen B with citizen A's ids",
        {
            "routes with an id (citizen)": len({(a[0], a[1]) for a in answers}),
            "A's resources tried": sum(len(v) for v in world.ids.values()),
            "calls": f"{2 * len(answers) + 6} (each with A's id and with a made-up one; + 6 codes)",
            "answered 404, same as a made-up id": f"{len(answers) - len(wrong)} of {len(answers)}",
            "A's data changed by B": sorted(changed) or "nothing",
            "wall time": f"{time.monotonic() - started:.1f} s",
        },
    )
    assert not wrong, wrong
    assert not changed, changed
    assert world.b_sub not in _journal_actors(world)


def test_non_operators_are_refused_every_operator_route(world: World) -> None:
    started = time.monotonic()
    callers = {"citizen B": world.b, "citizen A (the owner)": world.a, "unconfirmed account": world.unconfirmed}
    answers = []
    before = _snapshot_of_a(world)
    for method, path in ROUTES:
        if not _is_operator_route(path):
            continue
        for label, token in callers.items():
            for resource_id in [*_a_ids(world, path), *([str(uuid.uuid4())] if "{id}" in path else [])]:
                reply = world.call(method, path, token, resource_id)
                answers.append((method, path, label, resource_id, reply.status_code, _code(reply)))
    after = _snapshot_of_a(world)
    wrong = [a for a in answers if a[4] != 403]
    report(
        "access: non-operators on operator routes",
        {
            "operator routes": len({(a[0], a[1]) for a in answers}),
            "calls": f"{len(answers)} ({', '.join(callers)}; A's ids and made-up ones)",
            "answered 403": f"{len(answers) - len(wrong)} of {len(answers)}",
            "wall time": f"{time.monotonic() - started:.1f} s",
        },
    )
    assert not wrong, wrong
    assert before == after


def test_operators_are_refused_citizen_only_routes(world: World) -> None:
    started = time.monotonic()
    answers = []
    for method, path in ROUTES:
        if _is_operator_route(path):
            continue
        if (method, path) in OPERATOR_FORBIDDEN:
            expected = 403
        elif "{id}" in path and (method, path) not in OPERATOR_READS:
            expected = 404
        else:
            continue
        for resource_id in _a_ids(world, path):
            reply = world.call(method, path, world.operator, resource_id)
            answers.append((method, path, resource_id, expected, reply.status_code, _code(reply)))
    reads = [world.call("GET", "/applications/{id}", world.operator, i).status_code for i in world.ids["application"]]
    wrong = [a for a in answers if a[3] != a[4]]
    report(
        "access: operators on citizen-only routes",
        {
            "routes": f"{len({(a[0], a[1]) for a in answers})} ({len(OPERATOR_FORBIDDEN)} answer 403, the rest 404)",
            "answered as expected": f"{len(answers) - len(wrong)} of {len(answers)}",
            "GET /applications/{id} as an operator": reads,
            "wall time": f"{time.monotonic() - started:.1f} s",
        },
    )
    assert not wrong, wrong
    assert reads == [200, 200]
