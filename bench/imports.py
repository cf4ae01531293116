"""Part 1: each Lambda entry point's whole-process cold import time, as a ratio to `import boto3`.

Each figure is the wall time of a fresh `python -c "import <module>"` (the project's `.venv`
interpreter, from the project root: interpreter start-up included, as a Lambda cold start has it),
median of `repeats` runs. The runs are interleaved (boto3, then every handler, in a shuffled order,
`repeats` times over), so a burst of load on the machine touches every figure alike, and the ratio
is taken between medians of the same run.

Bytecode: this machine sets PYTHONDONTWRITEBYTECODE, so without a cache every import would also
compile its sources (boto3 and pydantic twice as slow). Lambda's runtime ships boto3 compiled and
the layer is installed with pip (which compiles), so the runs use a bytecode cache
(`PYTHONPYCACHEPREFIX=.local/bench/pycache`) filled by one unmeasured run of each module first.

The handlers import boto3 at their first AWS call, not at import (shared/wiring.py builds the
clients lazily), so a cold start pays for boto3 inside its first invocation all the same: each
handler is also timed as `import <module>, boto3` (`with_boto3_*`), the import work a cold start
does before its first answer (except the authorizer's, which never calls AWS). The target is
judged on the figure the issue defines (the import).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.cloud import ROOT, STATE, python

TARGET_RATIO = 2.0
BASELINE = "boto3"


def entry_points() -> list[str]:
    """Every module under functions/ that a Lambda function names as its handler's module."""
    found = sorted(
        p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
        for p in (ROOT / "functions").glob("*/*.py")
        if p.name != "__init__.py"
    )
    return found


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_LAMBDA_"))}
    env["PYTHONPYCACHEPREFIX"] = str(STATE / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else the cache is never written
    env.pop("PYTHONPATH", None)
    return env


def _run(interpreter: str, code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([interpreter, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{code!r} failed:\n{done.stderr[-2000:]}")
    return seconds


def measure(modules: list[str] | None = None, repeats: int = 7, seed: int = 0, warmup: bool = True) -> dict[str, Any]:
    modules = modules if modules is not None else entry_points()
    interpreter = python()
    env = _env()
    (STATE / "pycache").mkdir(parents=True, exist_ok=True)
    targets = [BASELINE, *modules]
    for module in targets if warmup else []:  # fills the bytecode cache; not measured
        _run(interpreter, f"import {module}", env)
    empty = []
    times: dict[str, list[float]] = {m: [] for m in [*targets, *(f"{m}+boto3" for m in modules)]}
    order = list(targets)
    rng = random.Random(seed)  # noqa: S311 (an order, not a secret)
    for _ in range(repeats):
        rng.shuffle(order)
        empty.append(_run(interpreter, "pass", env))
        for module in order:
            times[module].append(_run(interpreter, f"import {module}", env))
            if module != BASELINE:
                times[f"{module}+boto3"].append(_run(interpreter, f"import {module}, {BASELINE}", env))
    base = statistics.median(times[BASELINE])
    shown = Path(interpreter).relative_to(ROOT) if interpreter.startswith(str(ROOT)) else interpreter
    handlers = {}
    for module in modules:
        median = statistics.median(times[module])
        with_boto3 = statistics.median(times[f"{module}+boto3"])
        handlers[module] = {
            "median_s": round(median, 4),
            "ratio": round(median / base, 2),
            "met": median / base <= TARGET_RATIO,
            "runs_s": [round(t, 4) for t in times[module]],
            "with_boto3_median_s": round(with_boto3, 4),
            "with_boto3_ratio": round(with_boto3 / base, 2),
        }
    return {
        "how": (
            f"wall time of a fresh `{shown}"
            f' -c "import <module>"` from the project root, median of {repeats} interleaved runs, bytecode cache warm; '
            f"ratio = handler median / `import boto3` median of the same run; with boto3: "
            f'`-c "import <module>, boto3"`, what a cold start imports before its first answer'
        ),
        "repeats": repeats,
        "target_ratio": TARGET_RATIO,
        "python_startup_s": round(statistics.median(empty), 4),
        "boto3": {"median_s": round(base, 4), "runs_s": [round(t, 4) for t in times[BASELINE]]},
        "handlers": handlers,
        "met": all(h["met"] for h in handlers.values()),
    }
