"""Per-function code folders for `Code.from_asset` (no Docker bundling).

Each function ships only `shared/` and its own folder under `functions/`, so a change to one
handler does not redeploy the others and no function carries another's code. Dependencies come
from the layer that scripts/build_layer.py builds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
LAYER_DIR = BUILD / "layer"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def function_asset(folder: str) -> str:
    """Prepare `.build/assets/<folder>/` and return its path."""
    target = BUILD / "assets" / folder
    if target.exists():
        shutil.rmtree(target)
    (target / "functions").mkdir(parents=True)
    shutil.copytree(ROOT / "shared", target / "shared", ignore=_IGNORE)
    shutil.copy2(ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
    shutil.copytree(ROOT / "functions" / folder, target / "functions" / folder, ignore=_IGNORE)
    return str(target)


def layer_asset() -> str:
    if not (LAYER_DIR / "python").is_dir():
        raise SystemExit("The dependency layer is missing: run `make layer` (scripts/build_layer.py) first.")
    return str(LAYER_DIR)
