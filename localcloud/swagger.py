"""Swagger UI at `/swagger` (local cloud only): the committed docs/openapi.json, browsable and
callable ("Try it out") against this local cloud.

The UI's assets come from the PyPI package `swagger-ui-py` (Swagger UI 5, which reads OpenAPI
3.1), served from its installed `static` folder: no CDN, so the page works with no internet.

    /swagger                    the page
    /swagger/openapi.json       docs/openapi.json with `servers` pointing at this local cloud
    /swagger/openapi.v1.json    docs/openapi.json as committed (servers: 127.0.0.1:3000 and the stage `/v1`)
    /swagger/<asset>            swagger-ui.css, swagger-ui-bundle.js, ... (a fixed list)

The committed document names two servers, `http://127.0.0.1:3000` (the local cloud at its default
port) and the deployed API Gateway stage `/v1`; the copy the page loads names only this local cloud,
taken from the request's own `Host` header (so another port, `localhost` and `127.0.0.1` all work
without CORS). The document is read
on every request: `python -m scripts.openapi` shows up on a reload, no restart needed.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

Reply = tuple[int, dict[str, str], bytes]

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
PREFIX = "/swagger"

# The assets the page uses, and their types: nothing else of the package is served.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "oauth2-redirect.html": "text/html; charset=utf-8",
}
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tax cabinet onboarding API — local cloud</title>
  <link rel="stylesheet" href="/swagger/swagger-ui.css">
  <link rel="stylesheet" href="/swagger/index.css">
  <link rel="icon" type="image/png" href="/swagger/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/swagger/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="/swagger/initializer.js" charset="utf-8"></script>
</body>
</html>
"""

INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/swagger/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    tryItOutEnabled: false,
    validatorUrl: null,
    oauth2RedirectUrl: window.location.origin + "/swagger/oauth2-redirect.html",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
"""

LOCAL_NOTE = (
    "\n\n**Local cloud**: requests go to this local cloud (the deployed API is under `/v1`). "
    "Get a token with `POST /_local/token` "
    '`{"sub": "citizen-1", "level": "confirmed", "roles": []}` (`"roles": ["operator"]` for the '
    "operator routes) and paste its `access_token` into *Authorize*."
)


@cache
def _static_dir() -> Path:
    from swagger_ui.utils import SWAGGER_UI_PY_ROOT  # the installed swagger-ui-py package

    return Path(SWAGGER_UI_PY_ROOT) / "static"


@cache
def _asset(name: str) -> bytes:
    return (_static_dir() / name).read_bytes()


def local_document(base_url: str) -> dict[str, Any]:
    """The committed document, with `servers` naming this local cloud."""
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    document["servers"] = [{"url": base_url, "description": "this local cloud (the API at its root)"}]
    info = document.setdefault("info", {})
    info["description"] = str(info.get("description", "")) + LOCAL_NOTE
    return document


def _base_url(headers: dict[str, str], fallback: str) -> str:
    host = next((v for k, v in headers.items() if k.lower() == "host"), "").strip()
    return f"http://{host}" if _HOST.match(host) else fallback


def _reply(status: int, content_type: str, body: bytes, cache_seconds: int = 0) -> Reply:
    headers = {
        "Content-Type": content_type,
        "Cache-Control": f"max-age={cache_seconds}" if cache_seconds else "no-store",
    }
    return status, headers, body


def serve(method: str, path: str, headers: dict[str, str], fallback_base_url: str) -> Reply | None:
    """The answer for a `/swagger...` path, or None when the path is not one of ours."""
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    if method not in ("GET", "HEAD"):
        return _reply(405, "text/plain; charset=utf-8", b"GET only\n")
    name = path.removeprefix(PREFIX).strip("/")
    if name in ("", "index.html"):
        return _reply(200, "text/html; charset=utf-8", PAGE.encode())
    if name == "initializer.js":
        return _reply(200, "text/javascript; charset=utf-8", INITIALIZER.encode())
    if name == "openapi.json":
        document = local_document(_base_url(headers, fallback_base_url))
        return _reply(200, "application/json", json.dumps(document, ensure_ascii=False).encode())
    if name == "openapi.v1.json":
        return _reply(200, "application/json", DOCUMENT.read_bytes())
    if name in ASSETS:
        return _reply(200, ASSETS[name], _asset(name), cache_seconds=3600)
    return _reply(404, "text/plain; charset=utf-8", b"not found\n")
