"""Republish applications' current status to their partners (docs/runbook.md#events-publish-failures-not-empty).

    python -m scripts.republish --from-failures --dry-run     # what the failures queue points at
    python -m scripts.republish --from-failures               # republish, then delete those messages
    python -m scripts.republish <application id> [...]        # these applications
    python -m scripts.republish --since 2026-11-27T10:00:00Z --until 2026-11-27T11:00:00Z
    make republish ARGS='--from-failures --dry-run' [LOCAL=1]

The application's `META` item is the source of truth: it becomes the event the publisher would
have sent for its current status (`shared.events.status_changed.status_change`, the same code), put on the bus,
where each partner's rule delivers it. Partners drop an event whose `application_version` they
have already seen (docs/events.md), so republishing one that did arrive is harmless. Only partner
applications are republished: no one else consumes the bus.

`--from-failures` reads `<stack>-events-publish-failures`:
- `reason: unpublishable` (an item that could not make an event): that item's application;
- the stream mapping's on-failure record (`DDBStreamBatchInfo`: a shard and sequence range, no
  data): every application whose last change falls within the batch's arrival window (with
  `--margin` seconds either side), found on the status index (`STATUS#<status>` and
  `QUEUE#review`, sorted by `updated_at`). An application changed again after the window needs
  nothing: that later change was published, or is itself in this queue.
A message is deleted once every event it points at is accepted; one whose item still cannot make
an event stays, with the problem printed. `--dry-run` publishes and deletes nothing.

Prints application ids, statuses, partner ids and versions, never an application's data.
Connection options as for scripts.redrive (`--local` for `make dev`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scripts.redrive import Connection, add_connection_arguments, resolve_queue
from shared.adapters.dynamodb import keys

FAILURES_QUEUE = "events-publish-failures"
INDEX = keys.BY_STATUS
STATUSES = ("in_progress", "needs_clarification", "ready", "rejected")
DEFAULT_MARGIN_SECONDS = 60  # stream arrival times and `updated_at` are a write apart
BATCH = 10


@dataclass
class Target:
    """One application to republish, and the failure messages that led to it."""

    application_id: str
    messages: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    application_id: str
    line: str
    ok: bool


def _time(value: Any) -> datetime:
    """Epoch seconds (moto, the local cloud) or ISO 8601 (AWS) → an aware datetime."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bound(moment: datetime) -> str:
    """A sort-key bound comparable with stored `updated_at` values (ISO, UTC, any fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Table:
    def __init__(self, conn: Connection, name: str) -> None:
        self._ddb = conn.client("dynamodb")
        self._name = name

    def item(self, application_id: str) -> dict[str, Any] | None:
        from shared.adapters.dynamodb.base import from_item

        key = {k: {"S": v} for k, v in keys.application(application_id).items()}
        found = self._ddb.get_item(TableName=self._name, Key=key, ConsistentRead=True).get("Item")
        return from_item(found) if found else None

    def changed_between(self, start: datetime, end: datetime) -> list[str]:
        """Applications whose last change is within [start, end], by the status index."""
        ids: list[str] = []
        paginator = self._ddb.get_paginator("query")
        for partition in [keys.status(s) for s in STATUSES] + [keys.REVIEW_QUEUE]:
            pages = paginator.paginate(
                TableName=self._name,
                IndexName=INDEX.name,
                KeyConditionExpression=f"{INDEX.pk} = :p AND {INDEX.sk} BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":p": {"S": partition},
                    ":a": {"S": _bound(start)},
                    ":b": {"S": _bound(end) + "~"},  # '~' sorts after any fraction, zone and `#id`
                },
                ProjectionExpression="application_id",
            )
            for page in pages:
                ids.extend(str(item["application_id"]["S"]) for item in page.get("Items", []))
        return ids


def targets_of_message(body: dict[str, Any], table: Table, margin: timedelta) -> tuple[list[str], str, bool]:
    """(application ids, a description without data, whether the message was understood)."""
    if body.get("reason") == "unpublishable":
        found = body.get("keys", {})
        if str(found.get(keys.PK, "")).startswith(keys.APP):
            return [keys.application_id(found)], f"unpublishable ({body.get('problem', '?')})", True
        return [], "unpublishable, but not an application's item (left on the queue)", False
    info = body.get("DDBStreamBatchInfo")
    if isinstance(info, dict):
        first = info.get("approximateArrivalOfFirstRecord")
        last = info.get("approximateArrivalOfLastRecord") or first
        if first is None:
            return [], "stream batch without arrival times (left: give ids or --since/--until)", False
        start, end = _time(first) - margin, _time(last) + margin
        ids = table.changed_between(start, end)
        condition = body.get("requestContext", {}).get("condition", "?")
        window = f"{start:%Y-%m-%d %H:%M:%S}–{end:%H:%M:%S} UTC"
        return ids, f"stream batch given up ({condition}), changes {window}", True
    return [], "not a message this tool knows (left on the queue)", False


def republish(
    targets: Sequence[Target],
    table: Table,
    publish: Callable[[list[Any]], list[int]],
    dry_run: bool,
    out: Callable[[str], None],
) -> list[Outcome]:
    from shared.events.status_changed import StreamChange, Unpublishable, status_change

    outcomes: list[Outcome] = []
    ready: list[tuple[Target, Any]] = []
    for target in targets:
        item = table.item(target.application_id)
        if item is None:
            outcomes.append(Outcome(target.application_id, "no such application", ok=True))
            continue
        if not item.get("partner_id"):
            outcomes.append(
                Outcome(target.application_id, f"{item.get('status')}, not a partner's: nothing to send", True)
            )
            continue
        change = StreamChange("republish", "INSERT", {keys.PK: item[keys.PK], keys.SK: item[keys.SK]}, None, item)
        try:
            event = status_change(change)
        except Unpublishable as failure:
            outcomes.append(Outcome(target.application_id, f"still cannot make an event: {failure.problem}", False))
            continue
        if event is not None:
            ready.append((target, event))
    for start in range(0, len(ready), BATCH):
        chunk = ready[start : start + BATCH]
        refused = set() if dry_run else set(publish([event for _, event in chunk]))
        for index, (target, event) in enumerate(chunk):
            what = f"{event.status.value} v{event.application_version} → {event.partner_id}"
            verb = "would publish" if dry_run else ("REFUSED" if index in refused else "published")
            outcomes.append(Outcome(target.application_id, f"{what}: {verb}", index not in refused))
    for outcome in outcomes:
        out(f"  {outcome.application_id}  {outcome.line}")
    return outcomes


def _receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message now on the queue, kept invisible while the run lasts (it is short)."""
    messages: dict[str, dict[str, Any]] = {}
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0)
        batch = got.get("Messages", [])
        if not batch:
            return list(messages.values())
        for message in batch:
            messages.setdefault(message["MessageId"], message)


def _release(sqs: Any, url: str, messages: Iterable[dict[str, Any]]) -> None:
    entries = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(messages)
    ]
    for start in range(0, len(entries), BATCH):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries[start : start + BATCH])


def _delete(sqs: Any, url: str, messages: Iterable[dict[str, Any]]) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    for start in range(0, len(entries), BATCH):
        sqs.delete_message_batch(QueueUrl=url, Entries=entries[start : start + BATCH])


def _name(conn: Connection, explicit: str | None, output: str, local: str, what: str) -> str:
    value = explicit or conn.local_info.get(local) or conn.stack_output(output)
    if not value:
        raise SystemExit(f"no {what}: give --{what.replace(' ', '-')} or deploy the stack {conn.stack}")
    return str(value)


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.republish", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("application_ids", nargs="*", metavar="APPLICATION_ID")
    parser.add_argument("--from-failures", action="store_true", help=f"the applications {FAILURES_QUEUE} points at")
    parser.add_argument("--since", help="with --until: every application whose last change is in this window")
    parser.add_argument("--until", help="ISO 8601, e.g. 2026-11-27T11:00:00Z (default: now)")
    parser.add_argument("--margin", type=int, default=DEFAULT_MARGIN_SECONDS, help="seconds around a stream batch")
    parser.add_argument("--dry-run", action="store_true", help="show what would be published; change nothing")
    parser.add_argument("--table-name", help="default: the stack's TableName output")
    parser.add_argument("--event-bus-name", help="default: the stack's EventBusName output")
    add_connection_arguments(parser)
    args = parser.parse_args(argv)
    if not (args.application_ids or args.from_failures or args.since):
        parser.error("give application ids, --from-failures or --since")

    conn = Connection.from_args(args)
    table = Table(conn, _name(conn, args.table_name, "TableName", "table_name", "table name"))
    targets: dict[str, Target] = {}

    def add(application_id: str, message_id: str | None = None) -> None:
        target = targets.setdefault(application_id, Target(application_id))
        if message_id:
            target.messages.add(message_id)

    for application_id in args.application_ids:
        add(application_id)
    if args.since:
        start = _time(args.since)
        end = _time(args.until) if args.until else datetime.now(UTC)
        changed = table.changed_between(start, end)
        out(f"changed {start:%Y-%m-%d %H:%M:%S} – {end:%Y-%m-%d %H:%M:%S} UTC: {len(changed)} applications")
        for application_id in changed:
            add(application_id)

    sqs, queue, messages = conn.client("sqs"), None, []
    understood: set[str] = set()  # messages whose applications this run found
    if args.from_failures:
        queue = resolve_queue(conn, FAILURES_QUEUE)
        messages = _receive_all(sqs, queue.url)
        out(f"{queue.name}: {len(messages)} messages")
        for message in messages:
            try:
                body = json.loads(message["Body"])
            except json.JSONDecodeError:
                body = {}
            ids, description, understood_it = targets_of_message(body, table, timedelta(seconds=args.margin))
            out(f"  {message['MessageId']}: {description}: {len(ids)} applications")
            if understood_it:
                understood.add(message["MessageId"])
            for application_id in ids:
                add(application_id, message["MessageId"])

    out(("would republish" if args.dry_run else "republishing") + f" {len(targets)} applications:")
    outcomes: list[Outcome] = []
    completed = False
    try:
        if targets:
            from shared.adapters.aws.eventbridge import EventBridgePublisher

            bus = _name(conn, args.event_bus_name, "EventBusName", "event_bus_name", "event bus name")
            publisher = EventBridgePublisher(bus, conn.client("events"))
            outcomes = republish(list(targets.values()), table, publisher.publish, args.dry_run, out)
        completed = True
    finally:
        if queue is not None and messages:
            failed = {m for o in outcomes if not o.ok for m in targets[o.application_id].messages}
            done = (
                []
                if args.dry_run or not completed
                else [m for m in messages if m["MessageId"] in understood and m["MessageId"] not in failed]
            )
            keep = [m for m in messages if m not in done]
            _delete(sqs, queue.url, done)
            _release(sqs, queue.url, keep)
            out(f"{queue.name}: {len(done)} messages deleted, {len(keep)} left")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
