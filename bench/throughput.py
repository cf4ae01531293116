"""Part 3: 1,000 partner applications through the intake queue to their end state, wall time.

Against a fresh local cloud (started for this part alone, so moto's per-execution and per-message
costs start from zero, as the floor's do): 1,000 fresh taxpayers are added to the FNS simulator
before the clock starts; then `SENDERS` threads send the messages with SendMessageBatch (10 per
call, partner `partner-1`, so each status change also reaches that partner's outcome queue). The
clock stops when both status changes of every application (`in_progress`, `ready`, the latter
published after `ready` is stored) are on the partner's outcome queue: the last AWS call of the
happy path, which is also where the floor's clock stops. Watched every 0.25 s without asking the cloud: the
publisher's workers count the events they put (LOCAL_CALL_COUNTS files), and EventBridge delivers
to the queue inside PutEvents; once they add up, the queue's ApproximateNumberOfMessages confirms
(asking moto for it every time costs a pass over the queue's messages; a COUNT query on the status
index would scan the whole table, under the lock every DynamoDB request takes). The end states are
counted once, after the clock stops. An application whose workflow failed (its failure recorded
for an operator's review) sends one event, not two: then nothing moves for 30 s, the run stops,
the 30 s are taken off and the result says which end states were reached; the target needs all
of them `ready`.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.cloud import LocalCloud, applicant
from shared.adapters.dynamodb import keys

SENDERS = 4
PARTNER = "partner-1"
POLL_S = 0.25
EVENTS_PER_APPLICATION = 2  # in_progress (created), ready
STALL_S = 30.0  # no application ended and no event arrived for this long: stop, report what is missing
# the status index's keys of the end states: the outcomes, and a failure the workflow recorded for review
END_KEYS = (keys.status("ready"), keys.status("rejected"), keys.status("needs_clarification"), keys.REVIEW_QUEUE)


def _count_status(ddb: Any, table: str, key: str) -> int:
    total, start = 0, None
    while True:
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": keys.BY_STATUS.name,
            "KeyConditionExpression": f"{keys.BY_STATUS.pk} = :s",
            "ExpressionAttributeValues": {":s": {"S": key}},
            "Select": "COUNT",
        }
        if start:
            params["ExclusiveStartKey"] = start
        reply = ddb.query(**params)
        total += reply["Count"]
        start = reply.get("LastEvaluatedKey")
        if not start:
            return total


def _queue_depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _events_put(cloud: LocalCloud) -> int:
    return sum(c["calls"].get("EventBridge:PutEvents#entries", 0) for c in cloud.counts().values())


def item_templates(cloud: LocalCloud, application_id: str) -> dict[str, Any]:
    """One finished application's items, as stored: the floor writes copies of them (same sizes)."""
    ddb = cloud.aws("dynamodb")
    table = cloud.info["table_name"]

    def query(pk: str) -> list[dict[str, Any]]:
        return ddb.query(
            TableName=table, KeyConditionExpression=f"{keys.PK} = :p", ExpressionAttributeValues={":p": {"S": pk}}
        )["Items"]

    def typed(key: dict[str, str]) -> dict[str, Any]:
        return {k: {"S": v} for k, v in key.items()}

    own = query(keys.application_partition(application_id))
    meta = next(i for i in own if i[keys.SK]["S"] == keys.META)
    out: dict[str, Any] = {
        "meta": meta,
        "history": [i for i in own if i[keys.SK]["S"].startswith(keys.HISTORY)],
        "journal": query(keys.journal(f"pending:application:{application_id}")),
        "stats": query(keys.STAGE_TIMES),
    }
    lock = ddb.get_item(TableName=table, Key=typed(keys.inn_lock(meta["inn_hash"]["S"])))
    out["lock"] = lock.get("Item")
    partner = ddb.get_item(
        TableName=table, Key=typed(keys.partner_request(meta["partner_id"]["S"], meta["request_id"]["S"]))
    )
    out["partner"] = partner.get("Item")
    return out


def run(cloud: LocalCloud, count: int = 1000, senders: int = SENDERS) -> dict[str, Any]:
    people = [applicant() for _ in range(count)]
    cloud.add_taxpayers([record for record, _ in people])
    sqs = cloud.aws("sqs", pool=senders + 2)
    ddb = cloud.aws("dynamodb")
    table = cloud.info["table_name"]
    intake = cloud.info["intake_queue_url"]
    outcomes = cloud.info["outcome_queue_urls"][PARTNER]
    before = {k: _count_status(ddb, table, k) for k in END_KEYS}
    events_before = _queue_depth(sqs, outcomes)
    counts_before = cloud.counts()
    put_before = _events_put(cloud)
    logs_before = cloud.log_bytes()
    messages = [
        json.dumps({"partner_id": PARTNER, "request_id": str(uuid.uuid4()), "application": body}, ensure_ascii=False)
        for _, body in people
    ]
    batches = [messages[i : i + 10] for i in range(0, len(messages), 10)]

    def send(batch: list[str]) -> None:
        reply = sqs.send_message_batch(
            QueueUrl=intake, Entries=[{"Id": str(i), "MessageBody": m} for i, m in enumerate(batch)]
        )
        if reply.get("Failed"):
            raise RuntimeError(f"SendMessageBatch failed: {reply['Failed']}")

    started = time.perf_counter()
    events = 0
    stalled = False
    with ThreadPoolExecutor(senders) as pool:
        sending = [pool.submit(send, b) for b in batches]
        progress, progress_at = -1, time.monotonic()
        while True:
            time.sleep(POLL_S)
            # the publisher's own count of events it put (its workers' counter files): free for the
            # cloud; EventBridge delivers to the queue inside PutEvents, before the count is written
            events = _events_put(cloud) - put_before
            if events >= EVENTS_PER_APPLICATION * count:
                events = _queue_depth(sqs, outcomes) - events_before
                if events >= EVENTS_PER_APPLICATION * count:
                    break
            if events != progress:
                progress, progress_at = events, time.monotonic()
            elif time.monotonic() - progress_at > STALL_S:
                stalled = True
                break
        finished = time.perf_counter() - (STALL_S if stalled else 0)
        for future in sending:
            future.result()
    ends = {k: _count_status(ddb, table, k) - before.get(k, 0) for k in END_KEYS}
    time.sleep(1.0)  # let the last counters land (written after each invocation)
    counts_after = cloud.counts()
    logs_after = cloud.log_bytes()
    sample = ddb.query(
        TableName=table,
        IndexName=keys.BY_STATUS.name,
        KeyConditionExpression=f"{keys.BY_STATUS.pk} = :s",
        ExpressionAttributeValues={":s": {"S": keys.status("ready")}},
        Limit=1,
    )["Items"][0]
    ready = ends[keys.status("ready")]
    return {
        "how": (
            f"{count} partner messages sent with SendMessageBatch (10 per call, {senders} sender threads) to a fresh "
            "local cloud; wall time until both status changes of every application (in_progress, ready) are on the "
            f"partner's outcome queue (watched every {POLL_S} s)"
        ),
        "applications": count,
        "senders": senders,
        "wall_s": round(finished - started, 2),
        "per_second": round(count / (finished - started), 1),
        "end_states": {k.split("#", 1)[1]: v for k, v in ends.items()},
        "all_ready": ready == count,
        "stalled": stalled,
        "incomplete": sum(ends.values()) < count,
        "missing": max(0, count - sum(ends.values())),
        "log_bytes": logs_after - logs_before,
        "outcome_messages": events,
        "counts_before": counts_before,
        "counts_after": counts_after,
        "sample_application_id": keys.application_id({keys.PK: sample[keys.PK]["S"]}),
    }
