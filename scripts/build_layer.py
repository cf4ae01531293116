"""Build the Lambda dependency layer without Docker, for the functions' runtime and architecture.

`.build/layer/python/` gets the runtime dependencies pinned in uv.lock (the `[project]`
dependencies only: boto3 is the Lambda runtime's own), installed by pip from the registry's
wheels for the Lambda platform (`--platform manylinux2014_aarch64 --only-binary=:all:`), never
built on this host. Why the extra care:

- The machine's pip configuration (`find-links` to host wheels, constraint files) is for the
  host's Python: it is ignored here, so only the registry's Lambda-platform wheels are used.
- Every native extension is checked to be an aarch64 ELF for the target CPython, so a host wheel
  can never slip into the layer unnoticed.
- The result is cached by a stamp (hash of uv.lock, this script and the target); a rebuild goes
  to a temporary folder and is swapped in under a lock, so a concurrent synth or a second build
  never sees a half-written layer.

Usage: `.venv/bin/python scripts/build_layer.py [--force]`.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
OUT = BUILD / "layer"
STAMP = OUT / ".stamp"
# Keep in step with infra/components/functions.py (RUNTIME, ARCHITECTURE); tests/infra checks it.
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
_ELF_MACHINE_AARCH64 = 183
# pip settings that only say how to reach the registry; everything else (find-links, constraints,
# no-index, ...) describes the host's Python and is dropped.
_PIP_ENV_KEPT = {
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "PIP_PROXY",
    "PIP_RETRIES",
    "PIP_TRUSTED_HOST",
}


def digest() -> str:
    """What the layer depends on: the lock, this script and the target platform."""
    h = hashlib.sha256()
    for path in (ROOT / "uv.lock", Path(__file__).resolve()):
        h.update(path.read_bytes())
    h.update(f"{PYTHON_VERSION}:{PLATFORM}".encode())
    return h.hexdigest()


def is_fresh(expected: str) -> bool:
    return STAMP.is_file() and STAMP.read_text() == expected and (OUT / "python").is_dir()


def _requirements() -> str:
    """The runtime group of uv.lock as a requirements file (pins, no hashes, no project)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is missing: run `make install` first")
    result = subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--no-default-groups",
            "--no-hashes",
            "--no-emit-project",
            "--format",
            "requirements-txt",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in _PIP_ENV_KEPT}
    env["PIP_CONFIG_FILE"] = os.devnull  # pip reads no configuration file at all
    return env


def _install(requirements: str, target: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="layer-reqs-", delete=False) as reqs:
        reqs.write(requirements)
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",  # Lambda compiles on import; .pyc for the host would be dead weight
                "--no-deps",  # the export is the complete, locked closure
                "--platform",
                PLATFORM,
                "--implementation",
                "cp",
                "--python-version",
                PYTHON_VERSION,
                "--only-binary=:all:",
                "--target",
                str(target),
                "-r",
                reqs.name,
            ],
            check=True,
            env=_pip_env(),
        )
    finally:
        os.unlink(reqs.name)


def check_platform(site: Path) -> list[str]:
    """Native extensions that would not load on Lambda (not aarch64, or for another CPython)."""
    cpython_tag = "cpython-" + PYTHON_VERSION.replace(".", "")
    wrong = []
    found_pydantic_core = False
    for so in sorted(site.rglob("*.so")):
        with so.open("rb") as f:
            header = f.read(20)
        machine = int.from_bytes(header[18:20], "little") if header[:4] == b"\x7fELF" else -1
        tagged = ".cpython-" in so.name
        if machine != _ELF_MACHINE_AARCH64 or (tagged and cpython_tag not in so.name):
            wrong.append(str(so.relative_to(site)))
        found_pydantic_core |= so.name.startswith("_pydantic_core.") and "aarch64" in so.name
    if not found_pydantic_core:
        wrong.append("pydantic_core: no aarch64 extension")
    return wrong


def _strip(site: Path) -> None:
    """Drop what no function imports. `*.dist-info` stays: importlib.metadata reads it (pydantic
    checks email-validator's version that way, Powertools its own)."""
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts, not importable
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def _swap_in(staging: Path) -> None:
    """Replace OUT by the finished staging folder (two renames; OUT is absent only between them)."""
    old = OUT.with_name(f".layer-old-{os.getpid()}")
    if OUT.exists():
        os.rename(OUT, old)
    os.rename(staging, OUT)
    shutil.rmtree(old, ignore_errors=True)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# Printed with every build and cache hit: a reader of `make dev` sees a Linux/arm64 build on their
# own machine and should learn at once why, and that the local run does not depend on it.
WHY = (
    f"  why: the Lambda functions run Python {PYTHON_VERSION} on arm64 (Graviton), so the layer holds "
    f"their dependencies built for that platform ({PLATFORM}); the CDK app packages it.\n"
    "  Locally (`make dev`, the tests) the functions import this machine's own packages instead."
)


def build(force: bool = False) -> Path:
    """Build the layer unless the stamp says it is current; return its folder."""
    expected = digest()
    if not force and is_fresh(expected):
        print(f"layer: cached ({OUT.relative_to(ROOT)})\n{WHY}")
        return OUT
    BUILD.mkdir(parents=True, exist_ok=True)
    with (BUILD / ".layer.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent build finishes first; then we are cached
        if not force and is_fresh(expected):
            print(f"layer: cached ({OUT.relative_to(ROOT)})\n{WHY}")
            return OUT
        started = time.monotonic()
        staging = Path(tempfile.mkdtemp(prefix=".layer-", dir=BUILD))
        staging.chmod(0o755)  # mkdtemp's 0700 would reach the layer's zip; Lambda must read it
        try:
            site = staging / "python"
            _install(_requirements(), site)
            _strip(site)
            wrong = check_platform(site)
            if wrong:
                raise SystemExit(f"layer: not for Lambda {PLATFORM} / Python {PYTHON_VERSION}: {wrong}")
            (staging / ".stamp").write_text(expected)
            _swap_in(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    print(
        f"layer: built in {time.monotonic() - started:.1f} s, {_size(OUT) / 1e6:.1f} MB unpacked "
        f"({OUT.relative_to(ROOT)})\n{WHY}"
    )
    return OUT


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the Lambda dependency layer into .build/layer.")
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp is current")
    build(force=parser.parse_args().force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
