"""A local identity provider: signs the tokens the deployed authorizer checks against its JWKS.

It plays the state identity provider's part only: a person record per `sub` (served to prefill)
and RS256 tokens with the claims the authorizer reads (sub, level, roles).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LEVELS = ("simplified", "standard", "confirmed")
KEY_ID = "local-1"


class TokenRequestError(ValueError):
    pass


class LocalIdentityProvider:
    def __init__(self, issuer: str, audience: str = "tax-cabinet", lifetime_seconds: int = 3600) -> None:
        self.issuer = issuer
        self.audience = audience
        self._lifetime = lifetime_seconds
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._people: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def issue(self, request: Any) -> str:
        if not isinstance(request, dict):
            raise TokenRequestError("body must be a JSON object")
        sub, level, roles = request.get("sub"), request.get("level", "confirmed"), request.get("roles", [])
        if not isinstance(sub, str) or not sub.strip() or len(sub) > 128:
            raise TokenRequestError("sub: a non-empty string is required")
        if level not in LEVELS:
            raise TokenRequestError(f"level: one of {', '.join(LEVELS)}")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenRequestError("roles: a list of strings")
        person = request.get("person")
        if person is not None:
            if not isinstance(person, dict):
                raise TokenRequestError("person: an object in the application body's field names")
            with self._lock:
                self._people[sub] = person
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "level": level,
            "roles": roles,
            "iat": now,
            "exp": now + self._lifetime,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})

    def subject(self, token: str) -> str | None:
        """The `sub` of a valid token this provider issued, else None."""
        try:
            claims = jwt.decode(
                token, self._key.public_key(), algorithms=["RS256"], audience=self.audience, issuer=self.issuer
            )
        except jwt.PyJWTError:
            return None
        return str(claims["sub"])

    def person(self, sub: str) -> dict[str, Any] | None:
        with self._lock:
            return self._people.get(sub)
