"""Part 2: the local automated path, submit → `ready` with no human step (the `office` channel).

One application at a time (nothing else in flight), against a local cloud started for the bench:
the clock starts before `POST /applications` (an operator's token, `channel: office`, through the
local API Gateway, its JWT authorizer and the applications function) and stops when the
application's item in the table first reads `ready` (GetItem, consistent read, every 10 ms: the
same item `GET /applications/{id}` shows, without putting two more Lambda invocations per poll on
the machine being measured). Each applicant is a fresh taxpayer the FNS simulator knows (added
before the clock starts), so the workflow runs verify → match → activate → ready.
A few applications first warm the worker processes (not measured; said in the results).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.cloud import LocalCloud, applicant
from shared.adapters.dynamodb import keys

TARGET_P50_S = 0.5
TARGET_P99_S = 1.5
POLL_S = 0.01


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of the measured values."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _wait_ready(ddb: Any, table: str, app_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    key = {k: {"S": v} for k, v in keys.application(app_id).items()}
    status = ""
    while time.monotonic() < deadline:
        item = ddb.get_item(
            TableName=table,
            Key=key,
            ConsistentRead=True,
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        ).get("Item")
        status = item["status"]["S"] if item else ""
        if status in ("ready", "rejected", "needs_clarification"):
            return status
        time.sleep(POLL_S)
    raise TimeoutError(f"{app_id} did not reach an end state in {timeout} s (last: {status or 'absent'})")


def run(cloud: LocalCloud, count: int = 200, warmup: int = 5) -> dict[str, Any]:
    operator = cloud.token("bench-operator", roles=["operator"])
    people = [applicant() for _ in range(count + warmup)]
    cloud.add_taxpayers([record for record, _ in people])
    ddb = cloud.aws("dynamodb")
    table = cloud.info["table_name"]
    headers = {"Authorization": f"Bearer {operator}"}
    latencies: list[float] = []
    submits: list[float] = []
    ids: list[str] = []
    for n, (_, body) in enumerate(people):
        started = time.perf_counter()
        reply = cloud.http.post(
            f"{cloud.base_url}/applications", json={**body, "channel": "office"}, headers=headers, timeout=60
        )
        answered = time.perf_counter()
        if reply.status_code != 202:
            raise RuntimeError(f"office submission answered {reply.status_code}: {reply.text[:500]}")
        app_id = reply.json()["application_id"]
        status = _wait_ready(ddb, table, app_id)
        done = time.perf_counter()
        if status != "ready":
            raise RuntimeError(f"{app_id} ended {status}, not ready")
        if n >= warmup:
            latencies.append(done - started)
            submits.append(answered - started)
            ids.append(app_id)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return {
        "how": (
            f"{count} office applications one at a time (POST /applications with an operator token through the "
            f"local gateway and authorizer) after {warmup} unmeasured warm-up ones; submit → the table's item reads "
            f"`ready` (GetItem every {int(POLL_S * 1000)} ms); nearest-rank percentiles"
        ),
        "applications": count,
        "warmup": warmup,
        "p50_s": round(p50, 3),
        "p90_s": round(percentile(latencies, 90), 3),
        "p99_s": round(p99, 3),
        "max_s": round(max(latencies), 3),
        "mean_s": round(statistics.fmean(latencies), 3),
        "submit_p50_s": round(percentile(submits, 50), 3),
        "submit_p99_s": round(percentile(submits, 99), 3),
        "targets": {"p50_s": TARGET_P50_S, "p99_s": TARGET_P99_S},
        "met": p50 <= TARGET_P50_S and p99 <= TARGET_P99_S,
        "application_ids": ids,
    }
