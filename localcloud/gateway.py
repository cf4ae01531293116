"""A small local API Gateway: the REST API's routes, authorizer and gateway responses, read from
the synthesized template, in front of the functions deployed in moto (which ignores AWS_PROXY
integrations). It also serves the local-only routes (`/health`, `/_local/...`)."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localcloud.template import find_getatt, resources_of_type
from shared.core.messages import problem_body

MAX_BODY = 1_000_000
STAGE = "v1"


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # "/applications/{id}"
    pattern: re.Pattern[str]
    function: str  # logical id of the integrated function
    authorizer: str | None  # logical id of the authorizer function


@dataclass(frozen=True)
class Authorizer:
    function: str
    header: str
    ttl_seconds: int


def _resource_paths(template: dict[str, Any]) -> dict[str, str]:
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in paths:
            props = resources[logical]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if isinstance(parent, dict) and "Ref" in parent else ""
            paths[logical] = f"{prefix}/{props['PathPart']}"
        return paths[logical]

    for logical in resources:
        path_of(logical)
    return paths


def read_api(template: dict[str, Any]) -> tuple[list[Route], dict[str, Authorizer], dict[str, dict[str, Any]]]:
    """Routes, authorizers and gateway responses of the template's REST API."""
    paths = _resource_paths(template)
    authorizers: dict[str, Authorizer] = {}
    for logical, res in resources_of_type(template, "AWS::ApiGateway::Authorizer").items():
        props = res["Properties"]
        function = find_getatt(props.get("AuthorizerUri"))
        source = str(props.get("IdentitySource", "method.request.header.Authorization"))
        if function:
            authorizers[logical] = Authorizer(
                function, source.rsplit(".", 1)[-1], int(props.get("AuthorizerResultTtlInSeconds", 300))
            )
    routes = []
    for res in resources_of_type(template, "AWS::ApiGateway::Method").values():
        props = res["Properties"]
        resource_id = props["ResourceId"]
        path = paths[resource_id["Ref"]] if isinstance(resource_id, dict) and "Ref" in resource_id else "/"
        function = find_getatt(props.get("Integration", {}).get("Uri"))
        if not function:
            continue
        auth_ref = props.get("AuthorizerId")
        pattern = re.compile("^" + re.sub(r"\\\{([^}/]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
        routes.append(
            Route(props["HttpMethod"], path, pattern, function, auth_ref["Ref"] if isinstance(auth_ref, dict) else None)
        )
    responses = {
        res["Properties"]["ResponseType"]: res["Properties"]
        for res in resources_of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    return routes, authorizers, responses


def _policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    allowed = False
    for statement in policy.get("Statement", []):
        resources = statement.get("Resource", [])
        if any(fnmatch.fnmatchcase(method_arn, r) for r in ([resources] if isinstance(resources, str) else resources)):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class Gateway:
    """Turns HTTP requests into API Gateway (REST, v1) proxy events for the deployed functions."""

    def __init__(
        self,
        template: dict[str, Any],
        function_names: dict[str, str],
        lambda_client: Any,
        region: str,
        account: str,
        api_id: str = "local",
    ) -> None:
        self.routes, self._authorizers, self._responses = read_api(template)
        self._names = function_names
        self._lambda = lambda_client
        self._region, self._account, self._api_id = region, account, api_id
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def _invoke(self, logical: str, event: dict[str, Any]) -> tuple[dict[str, Any] | Any, str | None]:
        response = self._lambda.invoke(FunctionName=self._names[logical], Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        return payload, response.get("FunctionError")

    def gateway_response(self, kind: str, status: int) -> tuple[int, dict[str, str], bytes]:
        spec = self._responses.get(kind) or self._responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
        if not spec:
            return status, {"Content-Type": "application/json"}, json.dumps({"message": kind}).encode()
        headers = {k.rsplit(".", 1)[-1]: v.strip("'") for k, v in spec.get("ResponseParameters", {}).items()}
        body = (spec.get("ResponseTemplates") or {}).get("application/json", "")
        return int(spec.get("StatusCode") or status), headers, body.encode()

    def _authorize(self, authorizer_id: str, headers: dict[str, str], method_arn: str) -> dict[str, Any] | None:
        """The authorizer's context, or None to refuse; raises PermissionError for a Deny."""
        spec = self._authorizers[authorizer_id]
        token = next((v for k, v in headers.items() if k.lower() == spec.header.lower()), None)
        if not token:
            return None
        key = (authorizer_id, token)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            result = cached[1]
        else:
            payload, error = self._invoke(
                spec.function, {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
            )
            if error:
                if isinstance(payload, dict) and payload.get("errorMessage") == "Unauthorized":
                    result = None
                else:
                    raise RuntimeError("authorizer failed")
            else:
                result = payload
            with self._lock:
                self._cache[key] = (time.monotonic() + spec.ttl_seconds, result)
        if result is None:
            return None
        if not _policy_allows(result.get("policyDocument", {}), method_arn):
            raise PermissionError("denied")
        return {"principalId": result.get("principalId"), **(result.get("context") or {})}

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        # A literal path segment wins over a parameter (`/applications/prefill` before `/applications/{id}`),
        # as in API Gateway.
        matching = sorted(
            ((r, m) for r in self.routes if (m := r.pattern.match(path))), key=lambda pair: pair[0].resource.count("{")
        )
        if not matching:
            return _problem(404, "not_found", "Не найдено", "Такого адреса в API нет.")
        found = next(((r, m) for r, m in matching if r.method == method), None)
        if found is None:
            return _problem(
                405,
                "method_not_allowed",
                "Метод не поддерживается",
                f"Допустимо: {', '.join(sorted(r.method for r, _ in matching))}.",
            )
        route, match = found
        method_arn = (
            f"arn:aws:execute-api:{self._region}:{self._account}:{self._api_id}/{STAGE}/{method}{route.resource}"
        )
        authorizer_context: dict[str, Any] = {}
        if route.authorizer:
            try:
                context = self._authorize(route.authorizer, headers, method_arn)
            except PermissionError:
                return self.gateway_response("ACCESS_DENIED", 403)
            except RuntimeError:
                return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", 500)
            if context is None:
                return self.gateway_response("UNAUTHORIZED", 401)
            authorizer_context = context
        query = parse_qs(split.query, keep_blank_values=True)
        text = body.decode("utf-8", errors="replace") if body else None
        request_id = str(uuid.uuid4())
        event = {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": match.groupdict() or None,
            "stageVariables": None,
            "body": text,
            "isBase64Encoded": False,
            "requestContext": {
                "resourcePath": route.resource,
                "httpMethod": method,
                "path": f"/{STAGE}{path}",
                "stage": STAGE,
                "requestId": request_id,
                "accountId": self._account,
                "apiId": self._api_id,
                "requestTimeEpoch": int(time.time() * 1000),
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
                "authorizer": authorizer_context or None,
            },
        }
        payload, error = self._invoke(route.function, event)
        if error or not isinstance(payload, dict) or "statusCode" not in payload:
            return self.gateway_response("DEFAULT_5XX", 502)
        out_headers = {k: str(v) for k, v in (payload.get("headers") or {}).items()}
        for k, values in (payload.get("multiValueHeaders") or {}).items():
            out_headers[k] = ", ".join(str(v) for v in values)
        out_headers.setdefault("X-Request-Id", request_id)
        raw = payload.get("body") or ""
        data = base64.b64decode(raw) if payload.get("isBase64Encoded") else str(raw).encode()
        return int(payload["statusCode"]), out_headers, data


def _problem(status: int, code: str, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(problem_body(status, code, title, detail), ensure_ascii=False).encode()
    return status, {"Content-Type": "application/problem+json"}, body


LocalRoute = Any  # callable(method, path, body, headers) -> (status, headers, body) | None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], local_routes: LocalRoute) -> None:
        super().__init__(address, _Handler)
        self.local_routes = local_routes
        self.gateway: Gateway | None = None


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(*_problem(413, "payload_too_large", "Слишком большой запрос", "Не более 1 МБ."))
            return
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path == "/health" or path.startswith(("/_local/", "/swagger")):
            local = self.server.local_routes(self.command, self.path, body, dict(self.headers.items()))
            if local is not None:
                self._send(*local)
                return
        if self.server.gateway is None:
            self._send(*_problem(503, "starting", "Сервис запускается", "Повторите через несколько секунд."))
            return
        headers = dict(self.headers.items())
        try:
            reply = self.server.gateway.handle(self.command, self.path, headers, body, self.client_address[0])
        except Exception:  # the local gateway must answer, as API Gateway does
            reply = self.server.gateway.gateway_response("DEFAULT_5XX", 500)
        self._send(*reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch
    # other methods get the API's own 404/405 problem, not http.server's 501 (a 5xx)
    do_OPTIONS = do_TRACE = do_QUERY = _dispatch
