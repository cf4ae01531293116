"""Part 4: AWS API calls per happy-path application by service, and the list price of a million.

Where each count comes from:
- the functions' own AWS calls: counted in the local cloud's Lambda workers (`LOCAL_CALL_COUNTS`:
  localcloud/worker.py wraps botocore's `BaseClient._make_api_call`), the difference of the
  counters before and after a part, divided by its applications; with each function's
  invocations, handler wall and CPU time and the time spent inside AWS calls. Lambda GB-s use a
  modelled duration (`modelled_ms`): locally the wall time is mostly moto's, no guide to AWS;
- what AWS itself does between them, which no function calls and moto does in-process:
  Step Functions state transitions (the `*StateEntered` events of sampled execution histories),
  EventBridge → SQS deliveries (messages that reached the partner's outcome queue), the Lambda
  SQS poller (ReceiveMessage + DeleteMessageBatch per batch of the mapping's BatchSize, full
  batches assumed) and the partner's own calls (SendMessageBatch per 10; reading its outcomes,
  ReceiveMessage + DeleteMessageBatch per 10): SQS requests are billed to the queue's owner;
- DynamoDB capacity units: estimated by the floor (bench/floor.py) from the items it writes and
  reads (copies of a real application's items) with DynamoDB's rules: a write is ceil(size/1 KB)
  WRU (the larger of old and new item), twice in a transaction; each GSI the item is in costs
  one more write of the projected (ALL) item, two when the index key changes (delete + put); a
  strongly consistent read is ceil(size/4 KB) RRU (at least 1). The per-call means of the floor's
  operations are applied to the counted calls of each path;
- CloudWatch Logs: bytes the functions wrote to their log files, plus the state machine's log
  (level ALL, no execution data): the sampled history events' JSON without input/output.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parent / "prices.json"
INTAKE_BATCH_SIZE = 10  # the intake mapping's BatchSize in the template

# Lambda duration at 512 MB arm64, modelled from what the workers measure (the local wall time is
# mostly moto's, which is no guide to AWS): the handler's CPU time, scaled to the CPU share of
# 512 MB (Lambda gives one vCPU at 1,769 MB, proportionally less below), plus each AWS call at a
# typical in-region latency (assumed, not measured; ms).
CPU_FACTOR = 1769 / 512
AWS_LATENCY_MS = {
    "DynamoDB:GetItem": 5,
    "DynamoDB:Query": 8,
    "DynamoDB:UpdateItem": 8,
    "DynamoDB:PutItem": 8,
    "DynamoDB:BatchWriteItem": 10,
    "DynamoDB:TransactWriteItems": 15,
    "KMS:GenerateMac": 8,
    "SFN:StartExecution": 25,
    "SFN:SendTaskSuccess": 25,
    "EventBridge:PutEvents": 20,
    "SQS:SendMessage": 15,
}
DEFAULT_LATENCY_MS = 15


# --- DynamoDB item sizes and capacity units ---------------------------------------------------


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        digits = str(data).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(data) if isinstance(data, bytes) else len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in data)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (published rules, numbers approximated)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class Capacity:
    """Capacity units of the writes and reads it is told about, by operation."""

    def __init__(self, gsis: tuple[str, ...]) -> None:
        self.gsis = gsis
        self.units: dict[str, dict[str, float]] = defaultdict(lambda: {"wru": 0.0, "rru": 0.0})
        self._lock = threading.Lock()

    def read(self, operation: str, size: int, consistent: bool = True, transactional: bool = False) -> None:
        units = max(1, math.ceil(size / 4096)) * (1 if consistent else 0.5) * (2 if transactional else 1)
        with self._lock:
            self.units[operation]["rru"] += units

    def write(
        self, operation: str, item: dict[str, Any], previous: dict[str, Any] | None, transactional: bool = False
    ) -> None:
        size = item_size(item)
        old_size = item_size(previous) if previous else 0
        units = max(1, math.ceil(max(size, old_size) / 1024)) * (2 if transactional else 1)
        for gsi in self.gsis:
            new_key = (item.get(f"{gsi}pk"), item.get(f"{gsi}sk"))
            old_key = (previous.get(f"{gsi}pk"), previous.get(f"{gsi}sk")) if previous else (None, None)
            if new_key[0] is not None and old_key[0] is not None and new_key != old_key:
                units += max(1, math.ceil(old_size / 1024)) + max(1, math.ceil(size / 1024))
            elif new_key[0] is not None:
                units += max(1, math.ceil(size / 1024))
            elif old_key[0] is not None:
                units += max(1, math.ceil(old_size / 1024))
        with self._lock:
            self.units[operation]["wru"] += units

    def per_application(self, count: int) -> dict[str, float]:
        return {
            "wru": round(sum(u["wru"] for u in self.units.values()) / count, 2),
            "rru": round(sum(u["rru"] for u in self.units.values()) / count, 2),
        }

    def by_operation(self) -> dict[str, dict[str, float]]:
        return {op: dict(u) for op, u in self.units.items()}


# --- the workers' counters ----------------------------------------------------------------------


def short_name(function_name: str) -> str:
    """`TaxCabinetStack-FunctionsVerifyInnFunction36E1D117-...` → `VerifyInn`."""
    found = re.search(r"Functions(\w+?)Function[0-9A-F]{8}", function_name or "")
    return found.group(1) if found else str(function_name)


_TIMES = ("invocations", "seconds", "billed_ms", "cpu_seconds", "aws_seconds")


def modelled_ms(function: dict[str, Any]) -> float:
    """Modelled billed milliseconds of all of a function's counted invocations at 512 MB arm64."""
    waits = sum(
        count * AWS_LATENCY_MS.get(key, DEFAULT_LATENCY_MS)
        for key, count in function["calls"].items()
        if "#" not in key
    )
    return float(function["cpu_seconds"]) * 1000 * CPU_FACTOR + waits + 0.5 * function["invocations"]


def delta(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per function: AWS calls, invocations, handler seconds and billed ms between two snapshots."""
    out: dict[str, dict[str, Any]] = {}
    for name, now in after.items():
        then = before.get(name, {"calls": {}})
        function = out.setdefault(short_name(now["function"]), {"calls": defaultdict(int), **dict.fromkeys(_TIMES, 0)})
        for key, value in now["calls"].items():
            function["calls"][key] += value - then["calls"].get(key, 0)
        for key in _TIMES:
            function[key] += now.get(key, 0) - then.get(key, 0)
    for function in out.values():
        function["calls"] = {k: v for k, v in sorted(function["calls"].items()) if v}
    return {k: v for k, v in sorted(out.items()) if v["invocations"]}


def function_calls(functions: dict[str, dict[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for function in functions.values():
        for key, value in function["calls"].items():
            total[key] += value
    return dict(sorted(total.items()))


def sfn_log_bytes(history: list[dict[str, Any]]) -> int:
    """What the state machine's log (level ALL, IncludeExecutionData false) writes for one execution."""
    total = 0
    for event in history:
        slim = {
            k: (
                {dk: dv for dk, dv in v.items() if dk not in ("input", "output", "inputDetails", "outputDetails")}
                if isinstance(v, dict)
                else v
            )
            for k, v in event.items()
        }
        total += len(json.dumps(slim, default=str)) + 150  # + the envelope: execution ARN, log stream, id
    return total


# --- per application, by service ------------------------------------------------------------------


def usage(
    *,
    count: int,
    functions: dict[str, dict[str, Any]],
    transitions_per_execution: float,
    capacity_by_operation: dict[str, dict[str, float]],
    floor_calls: dict[str, int],
    log_bytes: int,
    sfn_log_bytes_per_execution: float,
    api_requests_per_application: float,
    partner: bool,
    outcome_messages_per_application: float,
) -> dict[str, Any]:
    calls = function_calls(functions)
    per = {k: v / count for k, v in calls.items()}
    invocations = {name: f["invocations"] / count for name, f in functions.items()}
    billed_ms = {name: modelled_ms(f) / count for name, f in functions.items()}
    # DynamoDB: the floor's mean units per call of each operation, times this path's calls
    wru = rru = 0.0
    for op, units in capacity_by_operation.items():
        made = floor_calls.get(f"DynamoDB:{op}", 0)
        if made:
            wru += per.get(f"DynamoDB:{op}", 0) * units["wru"] / made
            rru += per.get(f"DynamoDB:{op}", 0) * units["rru"] / made
    unmodelled = [k for k in per if k.startswith("DynamoDB:") and k.split(":", 1)[1] not in capacity_by_operation]
    for key in unmodelled:  # an operation the floor does not make: one unit per call (small items)
        if key.endswith(("GetItem", "Query", "Scan", "BatchGetItem")):
            rru += per[key]
        else:
            wru += per[key]
    sqs: dict[str, float] = {
        f"functions: {k.split(':', 1)[1]}": v for k, v in per.items() if k.startswith("SQS:") and "#" not in k
    }
    if partner:
        sqs["partner: SendMessageBatch (10 a call)"] = 0.1
        sqs["Lambda poller: ReceiveMessage + DeleteMessageBatch (full batches)"] = 2 / INTAKE_BATCH_SIZE
    if outcome_messages_per_application:
        sqs["EventBridge → outcome queue: SendMessage"] = outcome_messages_per_application
        sqs["partner reads its outcomes: ReceiveMessage + DeleteMessageBatch per 10"] = (
            2 * outcome_messages_per_application / 10
        )
    by_service = {
        "DynamoDB": {k.split(":", 1)[1]: round(v, 3) for k, v in per.items() if k.startswith("DynamoDB:")},
        "KMS": {k.split(":", 1)[1]: round(v, 3) for k, v in per.items() if k.startswith("KMS:")},
        "Step Functions": {
            **{k.split(":", 1)[1]: round(v, 3) for k, v in per.items() if k.startswith("SFN:")},
            "state transitions": round(transitions_per_execution, 2),
        },
        "Lambda": {f"Invoke {name}": round(v, 3) for name, v in invocations.items()},
        "SQS": {k: round(v, 3) for k, v in sqs.items()},
        "EventBridge": {
            "PutEvents calls": round(per.get("EventBridge:PutEvents", 0), 3),
            "events": round(per.get("EventBridge:PutEvents#entries", 0), 3),
        },
        "API Gateway": {"REST requests": api_requests_per_application} if api_requests_per_application else {},
    }
    other = {
        k: round(v, 3)
        for k, v in per.items()
        if k.split(":", 1)[0] not in ("DynamoDB", "KMS", "SFN", "SQS", "EventBridge")
    }
    if other:
        by_service["other"] = other
    totals = {service: round(sum(v for k, v in ops.items() if k != "events"), 3) for service, ops in by_service.items()}
    totals["Step Functions"] = round(
        sum(v for k, v in by_service["Step Functions"].items() if k != "state transitions"), 3
    )
    return {
        "calls_by_service": by_service,
        "calls_per_application": totals,
        "units": {
            "lambda_request": sum(invocations.values()),
            "lambda_gb_second_arm64": sum(billed_ms.values()) / 1000,  # × memory GB, applied in cost()
            "stepfunctions_standard_transition": transitions_per_execution,
            "dynamodb_wru": wru,
            "dynamodb_rru": rru,
            "kms_request": sum(v for k, v in per.items() if k.startswith("KMS:")),
            "sqs_request": sum(sqs.values()),
            "eventbridge_event": per.get("EventBridge:PutEvents#entries", 0),
            "apigateway_rest_request": api_requests_per_application,
            "cloudwatch_logs_ingestion_gb": (log_bytes / count + sfn_log_bytes_per_execution) / 1e9,
        },
        "lambda": {
            name: {
                "invocations_per_application": round(invocations[name], 3),
                "local_wall_ms_per_invocation": round(
                    functions[name]["seconds"] * 1000 / max(1, functions[name]["invocations"]), 1
                ),
                "local_in_aws_calls_ms_per_invocation": round(
                    functions[name]["aws_seconds"] * 1000 / max(1, functions[name]["invocations"]), 1
                ),
                "local_cpu_ms_per_invocation": round(
                    functions[name]["cpu_seconds"] * 1000 / max(1, functions[name]["invocations"]), 1
                ),
                "modelled_512mb_ms_per_invocation": round(
                    modelled_ms(functions[name]) / max(1, functions[name]["invocations"]), 1
                ),
                "modelled_billed_ms_per_application": round(billed_ms[name], 1),
            }
            for name in functions
        },
        "log_bytes_per_application": round(log_bytes / count + sfn_log_bytes_per_execution),
    }


def cost(units: dict[str, float], prices: dict[str, Any] | None = None) -> dict[str, Any]:
    """USD per million applications, by price line."""
    prices = prices or json.loads(PRICES.read_text())
    lines = {}
    for name, amount in units.items():
        price = prices["prices"][name]
        quantity = amount * (prices["lambda_memory_gb"] if name == "lambda_gb_second_arm64" else 1)
        lines[name] = {
            "per_application": round(quantity, 6),
            "usd_per_million_applications": round(quantity * 1_000_000 * price["usd"] / price["per"], 2),
        }
    return {
        "region": prices["region"],
        "as_of": prices["as_of"],
        "lines": lines,
        "usd_per_million_applications": round(sum(x["usd_per_million_applications"] for x in lines.values()), 2),
    }
