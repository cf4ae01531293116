"""`make bench` (`python -m bench`): cold imports, the automated path's latency, 1,000 partner
applications against their moto-only floor, AWS calls and list-price cost per application.

Writes bench/results.json and prints a table; bench/README.md says how each figure is measured.
`--quick` runs every part small (a smoke run, not a measurement); `--parts` picks parts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cost, floor, imports, path, throughput
from bench.cloud import ROOT, STATE, LocalCloud, python

RESULTS = Path(__file__).resolve().parent / "results.json"
PARTS = ("imports", "path", "throughput", "cost")
# `python -m localcloud` with localcloud/moto_speed.py's install() made a no-op (--without-moto-speed)
WITHOUT_MOTO_SPEED = (
    "import runpy; from localcloud import moto_speed; moto_speed.install = lambda: None; "
    "runpy.run_module('localcloud', run_name='__main__', alter_sys=True)"
)


def _machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S607
        return done.stdout.strip()

    import moto

    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "moto": moto.__version__,
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
    }


def _histories(cloud: LocalCloud, limit: int) -> list[list[dict[str, Any]]]:
    sfn = cloud.aws("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=cloud.info["state_machine_arn"], maxResults=limit)["executions"]
    return [sfn.get_execution_history(executionArn=e["executionArn"], maxResults=1000)["events"] for e in executions]


def _transitions(histories: list[list[dict[str, Any]]]) -> float:
    return statistics.fmean(sum(1 for e in h if e["type"].endswith("StateEntered")) for h in histories)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers everywhere: checks the bench runs")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--repeats", type=int, default=None, help="import runs per module (default 9; quick 2)")
    parser.add_argument("--path-apps", type=int, default=None, help="part 2 applications (default 200; quick 10)")
    parser.add_argument("--apps", type=int, default=None, help="part 3 applications (default 1000; quick 50)")
    parser.add_argument(
        "--without-moto-speed",
        action="store_true",
        help="the local cloud and the floor without localcloud/moto_speed.py: the figures before it",
    )
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    quick = args.quick
    repeats = args.repeats or (2 if quick else 9)
    path_apps = args.path_apps or (10 if quick else 200)
    apps = args.apps or (50 if quick else 1000)

    results: dict[str, Any] = {"machine": _machine(), "quick": quick}
    command = None
    if args.without_moto_speed:
        results["without_moto_speed"] = True
        os.environ["BENCH_WITHOUT_MOTO_SPEED"] = "1"  # read by bench/floor_server.py
        command = [python(), "-c", WITHOUT_MOTO_SPEED]

    def save() -> None:  # after each part: a failing later part keeps the earlier figures
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")

    print(f"bench: {', '.join(p for p in PARTS if p in parts)}{' (quick)' if quick else ''}", flush=True)

    if "imports" in parts:
        print(
            f"[1/4] cold imports: {len(imports.entry_points())} entry points + boto3, {repeats} runs each", flush=True
        )
        results["imports"] = imports.measure(repeats=repeats)
        save()

    office_usage: dict[str, Any] | None = None
    partner_usage: dict[str, Any] | None = None
    if "path" in parts:
        print(f"[2/4] automated path: {path_apps} office applications, one at a time", flush=True)
        with LocalCloud("path", command=command) as cloud:
            before, logs_before = cloud.counts(), cloud.log_bytes()
            results["path"] = path.run(cloud, count=path_apps)
            time.sleep(1.5)  # the stream publisher finishes the last changes
            functions = cost.delta(before, cloud.counts())
            histories = _histories(cloud, 10)
            office_usage = {  # cost.usage's measured arguments
                "count": path_apps + results["path"]["warmup"],
                "functions": functions,
                "transitions_per_execution": _transitions(histories),
                "log_bytes": cloud.log_bytes() - logs_before,
                "sfn_log_bytes_per_execution": statistics.fmean(cost.sfn_log_bytes(h) for h in histories),
                "api_requests_per_application": 1,
                "partner": False,
                "outcome_messages_per_application": 0,
            }
            results["path"]["startup_s"] = round(cloud.startup_seconds, 1)
        results["path"].pop("application_ids", None)
        save()

    if "throughput" in parts:
        print(f"[3/4] {apps} partner applications through the intake queue, then the moto-only floor", flush=True)
        with LocalCloud("throughput", command=command) as cloud:
            run = throughput.run(cloud, count=apps)
            templates = throughput.item_templates(cloud, run["sample_application_id"])
            (STATE / "templates.json").write_text(json.dumps(templates))  # kept for a look, or a floor run alone
            histories = _histories(cloud, 10)
            partner_usage = {  # cost.usage's measured arguments
                "count": apps,
                "functions": cost.delta(run.pop("counts_before"), run.pop("counts_after")),
                "transitions_per_execution": _transitions(histories),
                "log_bytes": run["log_bytes"],
                "sfn_log_bytes_per_execution": statistics.fmean(cost.sfn_log_bytes(h) for h in histories),
                "api_requests_per_application": 0,
                "partner": True,
                "outcome_messages_per_application": run["outcome_messages"] / apps,
            }
            run["startup_s"] = round(cloud.startup_seconds, 1)
        results["throughput"] = {"pipeline": run}
        save()
        floor_run = floor.run(templates, count=apps)
        ratio = run["wall_s"] / floor_run["wall_s"]
        results["throughput"] = {
            "pipeline": run,
            "floor": floor_run,
            "ratio_to_floor": round(ratio, 2),
            "target_ratio": 2.0,
            "met": ratio <= 2.0 and run["all_ready"],
        }

    if "cost" in parts and "throughput" in results:
        floor_run = results["throughput"]["floor"]
        common = {
            "capacity_by_operation": floor_run["dynamodb_units_by_operation"],
            "floor_calls": floor_run["calls"],
        }
        measured = {"partner": partner_usage, "office": office_usage}
        paths = {name: cost.usage(**usage, **common) for name, usage in measured.items() if usage}
        for usage in paths.values():
            usage["cost"] = cost.cost(usage["units"])
        prices = json.loads(cost.PRICES.read_text())
        results["cost"] = {
            "how": cost.__doc__.strip().split("\n\n")[0] if cost.__doc__ else "",
            "prices": prices,
            "paths": paths,
            "floor_calls_per_application": floor_run["calls_per_application"],
        }

    save()
    print()
    print(render(results))
    print(f"\nwritten: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


def _met(flag: bool | None) -> str:
    return "met" if flag else "MISSED"


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if "imports" in results:
        r = results["imports"]
        lines += [
            f"1. Cold import, ratio to `import boto3` (target ≤ {r['target_ratio']}×): {_met(r['met'])}",
            f"   how: {r['how']}",
            f"   import boto3 {r['boto3']['median_s']:.3f} s; python -c pass {r['python_startup_s']:.3f} s",
            f"   {'module':45} {'median s':>9} {'ratio':>6}   {'with boto3 s':>12} {'ratio':>6}",
        ]
        for module, h in r["handlers"].items():
            lines.append(
                f"   {module:45} {h['median_s']:9.3f} {h['ratio']:5.2f}×   {h['with_boto3_median_s']:12.3f} "
                f"{h['with_boto3_ratio']:5.2f}×{'' if h['met'] else '  MISSED'}"
            )
    if "path" in results:
        r = results["path"]
        lines += [
            "",
            f"2. Automated path (office), submit → ready (targets p50 ≤ {r['targets']['p50_s']} s, "
            f"p99 ≤ {r['targets']['p99_s']} s): {_met(r['met'])}",
            f"   how: {r['how']}",
            f"   p50 {r['p50_s']:.3f} s   p90 {r['p90_s']:.3f} s   p99 {r['p99_s']:.3f} s   max {r['max_s']:.3f} s   "
            f"(the POST itself: p50 {r['submit_p50_s']:.3f} s, p99 {r['submit_p99_s']:.3f} s)",
        ]
    if "throughput" in results:
        r = results["throughput"]
        p, f = r["pipeline"], r["floor"]
        lines += [
            "",
            f"3. {p['applications']} partner applications to their end state "
            f"(target ≤ {r['target_ratio']}× the floor): {_met(r['met'])}",
            f"   pipeline: {p['wall_s']:.1f} s ({p['per_second']}/s) — {p['how']}",
            f"   end states: {', '.join(f'{k} {v}' for k, v in p['end_states'].items())}"
            + (f"; INCOMPLETE: {p['missing']} never ended" if p["incomplete"] else ""),
            f"   floor:    {f['wall_s']:.1f} s — {f['how']}",
            f"   ratio:    {r['ratio_to_floor']:.2f}×",
        ]
    if "cost" in results:
        c = results["cost"]
        for name, usage in c["paths"].items():
            money = usage["cost"]
            lines += [
                "",
                f"4. AWS API calls per happy-path application ({name}), by service — and list price "
                f"({money['region']}, {money['as_of']}):",
            ]
            for service, ops in usage["calls_by_service"].items():
                if ops:
                    detail = ", ".join(f"{k} {v:g}" for k, v in ops.items())
                    lines.append(f"   {service:15} {usage['calls_per_application'].get(service, 0):6.2f}  ({detail})")
            lines.append(f"   {'price line':34} {'per application':>16} {'USD per million':>16}")
            for line, values in money["lines"].items():
                lines.append(
                    f"   {line:34} {values['per_application']:16.6g} {values['usd_per_million_applications']:16.2f}"
                )
            lines.append(f"   {'total':34} {'':16} {money['usd_per_million_applications']:16.2f}")
        lines.append("   (prices: bench/prices.json; what is not included is listed there)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
