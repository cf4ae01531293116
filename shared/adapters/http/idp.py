"""The identity provider's userinfo endpoint behind the IdentityProvider port (shared/onboarding/service.py):
the citizen's record for prefill and for claiming office applications by SNILS.

Called with the citizen's own bearer token, so the provider answers only about that citizen.
Standard library only; a fault is IdentityProviderUnavailable (a 502 to the caller, who can still
fill the form by hand; the claim step skips until the next list).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from shared.core.errors import IdentityProviderUnavailable

__all__ = ["HttpIdentityProvider", "IdentityProviderUnavailable"]


class HttpIdentityProvider:
    def __init__(self, userinfo_url: str, timeout_seconds: float = 3.0) -> None:
        if not userinfo_url.startswith(("https://", "http://")):
            raise ValueError("IDP_USERINFO_URL must be an http(s) URL")
        self._url = userinfo_url
        self._timeout = timeout_seconds

    def person(self, access_token: str) -> dict[str, Any] | None:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self._url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise IdentityProviderUnavailable(f"userinfo answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as error:
            raise IdentityProviderUnavailable(type(error).__name__) from None
        return body if isinstance(body, dict) else None
