"""Build the Lambda dependency layer without Docker, for the functions' runtime and architecture.

pip downloads the Lambda platform's own wheels (`--platform manylinux2014_aarch64
--only-binary=:all:`) for the runtime dependencies pinned in uv.lock. The result is cached: it is
rebuilt only when the lock file, this script or the target changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".build" / "layer"
PYTHON_VERSION = "3.14"  # keep in step with infra/components/functions.py (Runtime.PYTHON_3_14)
PLATFORM = "manylinux2014_aarch64"  # Architecture.ARM_64
STAMP = OUT / ".stamp"


def _digest() -> str:
    h = hashlib.sha256()
    for path in (ROOT / "uv.lock", Path(__file__)):
        h.update(path.read_bytes())
    h.update(f"{PYTHON_VERSION}:{PLATFORM}".encode())
    return h.hexdigest()


def _requirements() -> str:
    uv = Path(sys.executable).parent / "uv"
    result = subprocess.run(
        [
            str(uv),
            "export",
            "--frozen",
            "--no-default-groups",
            "--no-hashes",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "--python",
            PYTHON_VERSION,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def main() -> int:
    digest = _digest()
    if STAMP.exists() and STAMP.read_text() == digest and (OUT / "python").is_dir():
        print(f"layer: cached ({OUT.relative_to(ROOT)})")
        return 0
    shutil.rmtree(OUT, ignore_errors=True)
    target = OUT / "python"
    target.mkdir(parents=True)
    # The machine's pip configuration (constraints, local wheel folders) is for the host's Python,
    # not for the Lambda platform: ignore it and read the registry only.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as reqs:
        reqs.write(_requirements())
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
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
            env=env,
        )
    finally:
        os.unlink(reqs.name)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    STAMP.write_text(digest)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"layer: built for Python {PYTHON_VERSION} on {PLATFORM}, {size / 1e6:.1f} MB unpacked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
