"""The house's shape: shared/ is packages (plus its composition root), and the functions stay thin."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 200


def test_shared_holds_packages_and_only_the_composition_root_beside_them() -> None:
    loose = sorted(p.name for p in (ROOT / "shared").glob("*.py"))
    assert loose == ["__init__.py", "wiring.py"]
    assert all((d / "__init__.py").is_file() for d in (ROOT / "shared").iterdir() if d.is_dir() and d.name[0] != "_")


def test_no_function_module_is_over_200_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "functions").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_FUNCTION_LINES
    }
    assert not long, f"a handler parses, calls one use case and answers: {long}"
