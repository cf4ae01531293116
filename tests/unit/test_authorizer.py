"""The JWT authorizer against a JWKS served over HTTP, as the identity provider serves it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from functions.authorizer import handler as authorizer
from shared.core import config

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER = "https://idp.test"
ARN = "arn:aws:execute-api:eu-west-1:123456789012:api123/v1/GET/applications"


class _Jwks(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
        data = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("IDP_JWKS_URL", f"http://127.0.0.1:{server.server_address[1]}/jwks.json")
    monkeypatch.setenv("IDP_ISSUER", ISSUER)
    monkeypatch.setenv("IDP_AUDIENCE", "tax-cabinet")
    config.reset()
    authorizer._jwks.cache_clear()
    yield
    server.shutdown()


def token(key: Any = KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "sub": "u1",
        "level": "confirmed",
        "roles": ["operator"],
        "iss": ISSUER,
        "aud": "tax-cabinet",
        "iat": now,
        "exp": now + 300,
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256", headers={"kid": "k1"})


def authorize(header: str) -> dict[str, Any]:
    return authorizer.handler({"type": "TOKEN", "authorizationToken": header, "methodArn": ARN}, None)


def test_valid_token_passes_identity_and_allows_the_stage() -> None:
    result = authorize(f"Bearer {token()}")
    assert result["principalId"] == "u1"
    assert result["context"] == {"sub": "u1", "level": "confirmed", "roles": "operator"}
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:eu-west-1:123456789012:api123/v1/*/*"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Basic abc",
        "Bearer ",
        "Bearer not.a.jwt",
        f"Bearer {token(key=OTHER_KEY)}",
        f"Bearer {token(iss='https://evil.test')}",
        f"Bearer {token(aud='someone-else')}",
        f"Bearer {token(exp=int(time.time()) - 3600)}",
        f"Bearer {token(sub=None)}",
        f"Bearer {token(level='superuser')}",
    ],
)
def test_bad_tokens_are_unauthorized(header: str) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(header)
