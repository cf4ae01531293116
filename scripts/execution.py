"""An application's onboarding workflow, from its id (docs/runbook.md#find-an-applications-workflow).

    python -m scripts.execution <application id> [--events 15] [--json]
    make execution ID=<application id> [LOCAL=1]

The execution's name is the application id (docs/architecture.md), so its ARN follows from the state
machine's (`--state-machine-arn`, else `STATE_MACHINE_ARN`, else the stack's `StateMachineArn`
output). Prints the execution ARN, its status, the state it is in (or ended in), its
correlation id, the error of a failed execution, the last events of its history, and where to
look next (the console, a Logs Insights query). Never the execution's input or output, nor an
event's data: those are the application's (an error's cause is printed masked, as in the logs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from scripts.redrive import Connection, add_connection_arguments

HISTORY_PAGE = 100  # the newest events read, enough to find the current state
CAUSE_CHARS = 500
EXIT_NOT_FOUND = 3


def _mask(text: str) -> str:
    try:
        from shared.core.observability import mask_text
    except ImportError:  # run outside the project's environment: mask long digit runs at least
        import re

        return re.sub(r"\d{6,}", lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], text)
    return mask_text(text)


def execution_arn(state_machine_arn: str, application_id: str) -> str:
    """arn:...:stateMachine:<machine> → arn:...:execution:<machine>:<application id>"""
    prefix, marker, machine = state_machine_arn.partition(":stateMachine:")
    if not marker:
        raise SystemExit(f"not a state machine ARN: {state_machine_arn}")
    return f"{prefix}:execution:{machine}:{application_id}"


def state_machine_arn(conn: Connection, explicit: str | None) -> str:
    arn = (
        explicit
        or os.environ.get("STATE_MACHINE_ARN")
        or conn.local_info.get("state_machine_arn")
        or conn.stack_output("StateMachineArn")
    )
    if not arn:
        raise SystemExit(f"no state machine: give --state-machine-arn or deploy the stack {conn.stack}")
    return str(arn)


def _state_name(event: dict[str, Any]) -> str | None:
    for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
        if key in event:
            return str(event[key].get("name"))
    return None


def _summary(event: dict[str, Any]) -> str:
    """One event without its data: the state, the task's resource, an error and its cause."""
    parts = []
    name = _state_name(event)
    if name:
        parts.append(name)
    for key, details in event.items():
        if not key.endswith("EventDetails") or not isinstance(details, dict):
            continue
        if "resourceType" in details:
            parts.append(f"{details['resourceType']}:{details.get('resource', '')}")
        elif "resource" in details and "lambda" in key.lower():
            parts.append(str(details["resource"]).rsplit(":", 1)[-1])
        if details.get("error"):
            parts.append(f"error={details['error']}")
        if details.get("cause"):
            parts.append(f"cause={_clip(_mask(str(details['cause'])))}")
    return "  ".join(parts)


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CAUSE_CHARS else flat[:CAUSE_CHARS] + "…"


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value or "")


def look_up(conn: Connection, application_id: str, machine_arn: str, events: int) -> dict[str, Any]:
    sfn = conn.client("stepfunctions")
    arn = execution_arn(machine_arn, application_id)
    try:
        execution = sfn.describe_execution(executionArn=arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        return {"application_id": application_id, "execution_arn": arn, "found": False}
    page = sfn.get_execution_history(
        executionArn=arn, reverseOrder=True, maxResults=HISTORY_PAGE, includeExecutionData=False
    )["events"]
    newest_first = sorted(page, key=lambda e: int(e["id"]), reverse=True)  # whatever order the endpoint keeps
    entered = next((e for e in newest_first if e["type"].endswith("StateEntered")), None)
    try:
        correlation_id = json.loads(execution.get("input") or "{}").get("correlation_id")
    except (json.JSONDecodeError, AttributeError):
        correlation_id = None
    region = arn.split(":")[3]
    result = {
        "application_id": application_id,
        "found": True,
        "execution_arn": arn,
        "status": execution["status"],
        "started_at": _when(execution.get("startDate")),
        "stopped_at": _when(execution.get("stopDate")),
        "state": _state_name(entered) if entered else None,
        "state_entered_at": _when(entered["timestamp"]) if entered else None,
        "correlation_id": correlation_id,
        "error": execution.get("error"),
        "cause": _clip(_mask(str(execution["cause"]))) if execution.get("cause") else None,
        "events": [
            {"id": e["id"], "at": _when(e["timestamp"]), "type": e["type"], "summary": _summary(e)}
            for e in newest_first[:events]
        ],
        "console_url": (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
        ),
        "logs_insights_query": (
            "fields @timestamp, @log, level, message, stage, status"
            f' | filter application_id = "{application_id}"'
            + (f' or correlation_id = "{correlation_id}"' if correlation_id else "")
            + " | sort @timestamp asc"
        ),
    }
    return result


def render(found: dict[str, Any], out: Callable[[str], None] = print) -> None:
    if not found["found"]:
        out(f"no workflow execution for application {found['application_id']}")
        out(f"  looked for {found['execution_arn']}")
        out("  an application refused at submission never starts one; check the id, the stack and the region")
        return
    running = found["status"] == "RUNNING"
    rows = [
        ("application", found["application_id"]),
        ("execution", found["execution_arn"]),
        (
            "status",
            f"{found['status']}  (started {found['started_at']}"
            + (f", stopped {found['stopped_at']})" if found["stopped_at"] else ")"),
        ),
        ("current state" if running else "last state", f"{found['state']}  (entered {found['state_entered_at']})"),
        ("correlation id", found["correlation_id"] or "-"),
    ]
    if found["error"] or found["cause"]:
        rows.append(("error", f"{found['error'] or '-'}: {found['cause'] or ''}".rstrip(": ")))
    for label, value in rows:
        out(f"{label:<15} {value}")
    out(f"last {len(found['events'])} events (newest first):")
    for event in found["events"]:
        out(f"  {event['at']}  #{event['id']:<4} {event['type']:<28} {event['summary']}")
    out(f"console         {found['console_url']}")
    out("logs            CloudWatch Logs Insights over the functions' log groups:")
    out(f"                {found['logs_insights_query']}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.execution",
        description="Find an application's workflow execution from its id (status, state, last events).",
    )
    p.add_argument("application_id")
    p.add_argument("--events", type=int, default=15, help="how many of the newest history events (default 15)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--state-machine-arn", help="default: STATE_MACHINE_ARN, else the stack's StateMachineArn output")
    add_connection_arguments(p)
    return p


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    args = parser().parse_args(argv)
    application_id = args.application_id.strip()
    if not application_id or len(application_id) > 80 or any(c.isspace() for c in application_id):
        raise SystemExit(f"not an application id: {args.application_id!r}")
    conn = Connection.from_args(args)
    found = look_up(conn, application_id, state_machine_arn(conn, args.state_machine_arn), max(args.events, 0))
    if args.json:
        out(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        render(found, out)
    return 0 if found["found"] else EXIT_NOT_FOUND


if __name__ == "__main__":
    sys.exit(main())
