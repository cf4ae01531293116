"""TOKEN authorizer: verify the identity provider's JWT and pass who the caller is to the routes.

The Allow policy covers the whole API stage, so a cached decision (keyed by the token) is valid
on every route; what a caller may do on each route is decided by the route from `roles`/`level`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt

from shared.core.config import AuthSettings, settings
from shared.core.observability import get_logger

logger = get_logger()
_LEVELS = {"simplified", "standard", "confirmed"}


@cache
def _jwks() -> jwt.PyJWKClient:
    return jwt.PyJWKClient(settings(AuthSettings).jwks_url, cache_keys=True, lifespan=600, timeout=5)


def _claims(token: str) -> dict[str, Any]:
    cfg = settings(AuthSettings)
    key = _jwks().get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256", "ES256"],
        audience=cfg.audience,
        issuer=cfg.issuer,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        leeway=30,
    )
    return claims


def _policy(principal: str, method_arn: str, context: dict[str, str]) -> dict[str, Any]:
    api, _, rest = method_arn.partition("/")
    stage = rest.partition("/")[0] or "*"
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{api}/{stage}/*/*"}
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": context,
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    header = str(event.get("authorizationToken") or "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Exception("Unauthorized")  # API Gateway turns exactly this message into 401
    try:
        claims = _claims(token.strip())
    except (jwt.PyJWTError, ValueError) as error:
        logger.info("token refused", extra={"reason": type(error).__name__})
        raise Exception("Unauthorized") from None
    level = str(claims.get("level", ""))
    roles = claims.get("roles") or []
    if level not in _LEVELS or not isinstance(roles, list):
        logger.info("token refused", extra={"reason": "bad_claims"})
        raise Exception("Unauthorized")
    return _policy(
        str(claims["sub"]),
        str(event.get("methodArn", "*")),
        {"sub": str(claims["sub"]), "level": level, "roles": ",".join(str(r) for r in roles)},
    )
