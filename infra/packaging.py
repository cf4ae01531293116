"""Per-function code folders for `Code.from_asset` (no Docker bundling).

Each function ships only `shared/` and its own folder under `functions/`, so a change to one
handler does not redeploy the others and no function carries another's code. Dependencies come
from the layer that scripts/build_layer.py builds. A folder is named by its content's hash and
made by rename, so concurrent synths (tests, the local cloud) never see a half-written one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
LAYER_DIR = BUILD / "layer"
STALE_SECONDS = 3600


def _sources(folder: str) -> list[tuple[Path, str]]:
    """(file, path inside the asset) for everything the function ships."""
    files = [(ROOT / "functions" / "__init__.py", "functions/__init__.py")]
    for base, prefix in ((ROOT / "shared", "shared"), (ROOT / "functions" / folder, f"functions/{folder}")):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((path, f"{prefix}/{path.relative_to(base).as_posix()}"))
    return files


def function_asset(folder: str, extra: dict[str, Path] | None = None) -> str:
    """Prepare `.build/assets/<folder>-<hash>/` (once per content) and return its path.

    `extra` adds files at the asset's root under the given names (a configured trust store)."""
    files = _sources(folder) + [(path, name) for name, path in sorted((extra or {}).items())]
    digest = hashlib.sha256()
    for path, name in files:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    target = BUILD / "assets" / f"{folder}-{digest.hexdigest()[:16]}"
    if target.is_dir():
        os.utime(target)  # recently used: kept by the pruning
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 must not reach the zip
    for path, name in files:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, staging / name)
    try:
        os.rename(staging, target)
    except OSError:  # another synth made the same folder first
        shutil.rmtree(staging, ignore_errors=True)
    _prune(folder, keep=target)
    return str(target)


def _prune(folder: str, keep: Path) -> None:
    """Every edit of shared/ makes a new folder per function: drop this function's older ones,
    but only those unused for a while, as a concurrent synth may still be packaging one."""
    now = time.time()
    for old in keep.parent.glob(f"{folder}-*"):
        if old != keep and old.is_dir() and now - old.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


def layer_asset() -> str:
    if not (LAYER_DIR / "python").is_dir():
        raise SystemExit("The dependency layer is missing: run `make layer` (scripts/build_layer.py) first.")
    return str(LAYER_DIR)
