"""Swagger UI at `/swagger` on the local cloud (localcloud/swagger.py): the page, its assets and the
document are served; the document's server is this local cloud, so "Try it out" reaches the API;
and headless Chromium renders one block per operation of docs/openapi.json.

The browser test uses Debian's `chromium`; when /usr/bin/chromium is missing it installs it
(`apt-get install -y chromium`, as root: CI on a fresh machine), or is skipped outside CI when it
cannot. `make suite-browser` runs this file alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from localcloud import swagger
from tests.support.local_cloud import LocalCloud

pytestmark = pytest.mark.xdist_group("e2e")

DOCUMENT = json.loads(swagger.DOCUMENT.read_text(encoding="utf-8"))
OPERATIONS = sum(len(ops) for ops in DOCUMENT["paths"].values())
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


# -- fast: no local cloud --------------------------------------------------------------------------


def _serve(
    path: str, host: str = "", method: str = "GET", fallback: str = "http://x"
) -> tuple[int, dict[str, str], bytes]:
    reply = swagger.serve(method, path, {"Host": host} if host else {}, fallback)
    assert reply is not None, path
    return reply


def test_page_assets_and_document_without_a_server() -> None:
    status, headers, page = _serve("/swagger", "127.0.0.1:3000")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for src in re.findall(rb'(?:src|href)="(/swagger/[^"]+)"', page):
        status, _, body = _serve(src.decode())
        assert status == 200 and len(body) > 0, src
    status, _, body = _serve("/swagger/openapi.json", "localhost:3999")
    served = json.loads(body)
    assert status == 200 and served["servers"] == [
        {"url": "http://localhost:3999", "description": "this local cloud (the API at its root)"}
    ]
    assert served["paths"] == DOCUMENT["paths"] and served["components"] == DOCUMENT["components"]
    assert _serve("/swagger/openapi.v1.json")[2] == swagger.DOCUMENT.read_bytes()
    # a Host that is not a host name falls back to the configured base URL
    _, _, body = _serve("/swagger/openapi.json", "evil/<script>", fallback="http://127.0.0.1:3000")
    assert json.loads(body)["servers"][0]["url"] == "http://127.0.0.1:3000"
    assert _serve("/swagger/../../pyproject.toml")[0] == 404
    assert _serve("/swagger/swagger-editor-bundle.js")[0] == 404  # only the assets the page uses
    assert _serve("/swagger", method="POST")[0] == 405
    assert swagger.serve("GET", "/swaggerish", {}, "http://x") is None


# -- against the local cloud -----------------------------------------------------------------------


def test_swagger_page_and_document_are_served(cloud: LocalCloud) -> None:
    page = requests.get(f"{cloud.base_url}/swagger", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'id="swagger-ui"' in page.text and "cdn" not in page.text.lower()
    bundle = requests.get(f"{cloud.base_url}/swagger/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and bundle.headers["Content-Type"].startswith("text/javascript")
    served = requests.get(f"{cloud.base_url}/swagger/openapi.json", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/json"
    document = served.json()
    assert document["paths"] == DOCUMENT["paths"]
    assert document["servers"][0]["url"] == cloud.base_url  # the Host the request came to
    committed = requests.get(f"{cloud.base_url}/swagger/openapi.v1.json", timeout=10).json()
    assert committed == DOCUMENT and committed["servers"][1]["url"].endswith("/v1")


def test_try_it_out_reaches_the_api_at_the_documented_server(cloud: LocalCloud) -> None:
    """What "Try it out" sends: the document's server + a documented path, with a bearer token."""
    server = requests.get(f"{cloud.base_url}/swagger/openapi.json", timeout=10).json()["servers"][0]["url"]
    token = cloud.token("swagger-try-it-out")
    reply = requests.get(f"{server}/applications", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"items": [], "next_token": None}
    assert requests.get(f"{server}/applications", timeout=30).status_code == 401


# -- headless Chromium -----------------------------------------------------------------------------


def _chromium() -> str:
    """Debian's chromium, installed here when missing (root and apt-get: CI on a fresh machine)."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ["-o", "DPkg::Lock::Timeout=600"]  # another apt-get (a parallel install) holds the lock a while
        subprocess.run(["apt-get", *wait, "update", "-qq"], check=True, env=env, capture_output=True, timeout=900)
        subprocess.run(
            ["apt-get", *wait, "install", "-y", "-qq", "chromium"],
            check=True,
            env=env,
            capture_output=True,
            timeout=1800,
        )
        if os.path.exists(CHROMIUM):
            return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and could not be installed (apt-get install -y chromium, as root)")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (as root)")


def test_headless_chromium_renders_every_operation(cloud: LocalCloud, tmp_path: Path) -> None:
    chromium = _chromium()
    started = time.monotonic()
    dom = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=30000",  # the page loads the document and renders, on a virtual clock
            "--dump-dom",
            f"{cloud.base_url}/swagger",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    seconds = time.monotonic() - started
    print(f"\nheadless Chromium rendered /swagger in {seconds:.1f} s")
    blocks = re.findall(r'class="opblock opblock-(get|post|patch|put|delete)\b', dom)
    assert len(blocks) == OPERATIONS, f"{len(blocks)} operation blocks, {OPERATIONS} operations: {dom[:2000]}"
    methods = sorted(m for ops in DOCUMENT["paths"].values() for m in ops)
    assert sorted(blocks) == methods
    assert "Tax cabinet onboarding API" in dom
    assert "Failed to load API definition" not in dom
    assert cloud.base_url in dom  # the servers list names this local cloud
