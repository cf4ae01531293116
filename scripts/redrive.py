"""Move dead letters back to where they can succeed (docs/runbook.md#redrive-a-dead-letter-queue).

    python -m scripts.redrive intake-dlq --dry-run            # what is there, and why
    python -m scripts.redrive intake-dlq --reason none         # back to the intake queue
    python -m scripts.redrive events-undelivered --to-target   # each event's detail to its partner's queue
    python -m scripts.redrive intake-dlq --reason malformed_message --discard   # after telling the partner
    make redrive QUEUE=intake-dlq ARGS=--dry-run [LOCAL=1]

The queue is a URL, an ARN, a queue name, a name without the stack's prefix
(`events-undelivered` is `TaxCabinetStack-events-undelivered`) or `intake-dlq` (the stack's
`IntakeDlqUrl` output). The destination is the queue whose redrive policy names this one (the
intake DLQ → the intake queue), or `--to`, or with `--to-target` the queue EventBridge could not
deliver to (each message's `TARGET_ARN`), given what that rule sends: the event's `detail`.

Each message is shown by its id, age, receive count and message attributes (the intake's
`reason`/`detail`, EventBridge's `ERROR_CODE`/`ERROR_MESSAGE`/`RULE_ARN`/`TARGET_ARN`), never its
body: bodies carry personal data. A message without a `reason` was moved by SQS itself after the
queue's maxReceiveCount (a transient fault: `--reason none` selects those); one with a reason was
refused by the intake and will be refused again until the partner fixes it.

How: a plain redrive of the whole queue to its source uses SQS's own message move task
(`StartMessageMoveTask`) after listing the messages; where that is not available (the local
cloud's moto) or with `--max`, `--reason`, `--to-target`, the messages are received, sent and
deleted in batches of 10: a message is deleted only once its copy is accepted, so an interrupted
run may duplicate a message but never loses one (the intake is idempotent on its partner keys).

Against AWS it uses the usual credentials (`AWS_PROFILE`, `--region`); against `make dev`,
`--local` (reads `/_local/info`) or `--endpoint-url`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STACK = "TaxCabinetStack"
BATCH = 10
VISIBILITY_SECONDS = 120  # how long a message under work stays hidden from other consumers
SHOWN_ATTRIBUTE_CHARS = 300
# The dead-lettering bookkeeping (the intake's, EventBridge's): shown, never copied back.
BOOKKEEPING = frozenset(
    {
        "reason",
        "detail",
        "source_message_id",
        "ERROR_CODE",
        "ERROR_MESSAGE",
        "RULE_ARN",
        "TARGET_ARN",
        "EXHAUSTED_RETRY_CONDITION",
        "RETRY_ATTEMPTS",
    }
)
NO_REASON = "none"


# --- connection (shared with scripts/execution.py) ---------------------------------------------


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where")
    group.add_argument(
        "--local",
        nargs="?",
        const=f"http://127.0.0.1:{os.environ.get('PORT', '3000')}",
        metavar="URL",
        help="the running `make dev` (its /_local/info gives the endpoint and region)",
    )
    group.add_argument("--endpoint-url", help="an AWS-compatible endpoint (the local cloud's moto)")
    group.add_argument("--region", help="AWS region (default: the environment's)")
    group.add_argument("--profile", help="AWS profile")
    group.add_argument("--stack", default=STACK, help=f"the CloudFormation stack (default {STACK})")


@dataclass
class Connection:
    endpoint_url: str | None
    region: str | None
    profile: str | None
    stack: str
    local_info: dict[str, Any] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Connection:
        info: dict[str, Any] = {}
        endpoint, region = args.endpoint_url, args.region
        if args.local:
            with urllib.request.urlopen(f"{args.local.rstrip('/')}/_local/info", timeout=10) as reply:  # noqa: S310
                info = json.loads(reply.read())
            endpoint = endpoint or info["aws_endpoint_url"]
            region = region or info["region"]
        return cls(endpoint, region, args.profile, args.stack, info)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            session = boto3.Session(profile_name=self.profile) if self.profile else boto3.Session()
            options: dict[str, Any] = {"region_name": self.region or session.region_name}
            if self.endpoint_url:
                options["endpoint_url"] = self.endpoint_url
                if session.get_credentials() is None:  # the local cloud takes any credentials
                    options.update(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
            self._clients[service] = session.client(service, **options)
        return self._clients[service]

    def stack_output(self, name: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.stack)["Stacks"]
        except (BotoCoreError, ClientError):  # no stack, no rights: the caller says what it needed
            return None
        for output in stacks[0].get("Outputs", []) if stacks else []:
            if output["OutputKey"] == name:
                return str(output["OutputValue"])
        return None


# --- queues ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str

    @property
    def name(self) -> str:
        return self.arn.rsplit(":", 1)[-1]


_OUTPUTS = {"intake-dlq": "IntakeDlqUrl", "intake": "IntakeQueueUrl"}


def resolve_queue(conn: Connection, ref: str) -> Queue:
    sqs = conn.client("sqs")
    url: str | None = None
    if ref.startswith(("https://", "http://")):
        url = ref
    elif ref.startswith("arn:"):
        parts = ref.split(":")
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    elif ref in _OUTPUTS:
        local = {"intake-dlq": "intake_dlq_url", "intake": "intake_queue_url"}[ref]
        url = conn.stack_output(_OUTPUTS[ref]) or conn.local_info.get(local)
    if url is None:
        for name in (ref, f"{conn.stack}-{ref}"):
            try:
                url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
                break
            except sqs.exceptions.QueueDoesNotExist:
                continue
    if url is None:
        raise SystemExit(f"no queue {ref!r} (nor {conn.stack}-{ref}); give its URL or ARN")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queue(url, arn)


def source_queues(conn: Connection, dlq: Queue) -> list[Queue]:
    """The queues whose redrive policy names this dead-letter queue."""
    sqs = conn.client("sqs")
    urls: list[str] = []
    for page in sqs.get_paginator("list_dead_letter_source_queues").paginate(QueueUrl=dlq.url):
        urls.extend(page.get("queueUrls", []))
    return [resolve_queue(conn, url) for url in urls]


# --- messages ----------------------------------------------------------------------------------


@dataclass
class Message:
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["MessageId"])

    @property
    def receipt(self) -> str:
        return str(self.raw["ReceiptHandle"])

    @property
    def attributes(self) -> dict[str, str]:
        """The message attributes that are strings (numbers as text; binary ones only named)."""
        out = {}
        for name, value in sorted(self.raw.get("MessageAttributes", {}).items()):
            text = value.get("StringValue")
            out[name] = text if text is not None else f"<{value.get('DataType', 'Binary')}>"
        return out

    @property
    def sent_ms(self) -> int:
        return int(self.raw.get("Attributes", {}).get("SentTimestamp", "0"))

    @property
    def reason(self) -> str:
        return self.attributes.get("reason", NO_REASON)

    def describe(self) -> str:
        system = self.raw.get("Attributes", {})
        sent = system.get("SentTimestamp")
        when = datetime.fromtimestamp(int(sent) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if sent else "?"
        shown = " ".join(f"{k}={_clip(v)}" for k, v in self.attributes.items()) or "(no attributes)"
        if "reason" not in self.attributes and "ERROR_CODE" not in self.attributes:
            shown += "  [no reason: moved here by SQS after repeated failed receives]"
        return f"{self.id}  sent {when}  receives {system.get('ApproximateReceiveCount', '?')}  {shown}"

    def copy_attributes(self) -> dict[str, Any]:
        return {k: v for k, v in self.raw.get("MessageAttributes", {}).items() if k not in BOOKKEEPING}


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return json.dumps(
        flat if len(flat) <= SHOWN_ATTRIBUTE_CHARS else flat[:SHOWN_ATTRIBUTE_CHARS] + "…", ensure_ascii=False
    )


def receive(
    conn: Connection, queue: Queue, *, visibility: int = VISIBILITY_SECONDS, wait: int = 1
) -> Iterator[list[Message]]:
    """Batches until the queue answers empty twice in a row (1 s long polls: every server asked)."""
    sqs = conn.client("sqs")
    empty = 0
    while empty < 2:
        batch = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=BATCH,
            VisibilityTimeout=visibility,
            WaitTimeSeconds=wait,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            empty += 1
            continue
        empty = 0
        yield [Message(m) for m in batch]


def release(conn: Connection, queue: Queue, messages: Sequence[Message]) -> None:
    """Make messages we held (looked at, skipped, failed to copy) visible again at once."""
    sqs = conn.client("sqs")
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        sqs.change_message_visibility_batch(
            QueueUrl=queue.url,
            Entries=[{"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": 0} for i, m in enumerate(chunk)],
        )


def delete(conn: Connection, queue: Queue, messages: Sequence[Message]) -> list[Message]:
    if not messages:
        return []
    reply = conn.client("sqs").delete_message_batch(
        QueueUrl=queue.url, Entries=[{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(messages)]
    )
    done = {int(entry["Id"]) for entry in reply.get("Successful", [])}
    return [m for i, m in enumerate(messages) if i in done]


def _detail_of(body: str) -> str:
    """What the EventBridge rule would have delivered (`InputPath: $.detail`), from the event."""
    try:
        event = json.loads(body)
    except json.JSONDecodeError:
        return body
    if isinstance(event, dict) and "detail" in event and "detail-type" in event:
        return json.dumps(event["detail"], ensure_ascii=False, separators=(",", ":"))
    return body


def send(
    conn: Connection, messages: Sequence[tuple[Message, Queue, str, dict[str, Any]]], out: Callable[[str], None]
) -> list[Message]:
    """Send copies (per destination, in batches); the messages whose copy was accepted."""
    sqs = conn.client("sqs")
    accepted: list[Message] = []
    by_destination: dict[str, list[tuple[Message, Queue, str, dict[str, Any]]]] = {}
    for item in messages:
        by_destination.setdefault(item[1].url, []).append(item)
    for url, items in by_destination.items():
        entries = []
        for i, (message, _, body, attributes) in enumerate(items):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": body}
            if attributes:
                entry["MessageAttributes"] = attributes
            group = message.raw.get("Attributes", {}).get("MessageGroupId")
            if group and url.endswith(".fifo"):
                entry["MessageGroupId"] = group
                entry["MessageDeduplicationId"] = message.id
            entries.append(entry)
        reply = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        ok = {int(entry["Id"]) for entry in reply.get("Successful", [])}
        for failed in reply.get("Failed", []):
            out(f"  ! {items[int(failed['Id'])][0].id}: not sent ({failed.get('Code')}: {failed.get('Message')})")
        accepted.extend(item[0] for i, item in enumerate(items) if i in ok)
    return accepted


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Tally:
    seen: int = 0
    selected: int = 0
    moved: int = 0
    discarded: int = 0
    skipped: int = 0
    failed: int = 0


def run(conn: Connection, args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    dlq = resolve_queue(conn, args.queue)
    depth = conn.client("sqs").get_queue_attributes(
        QueueUrl=dlq.url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    out(
        f"{dlq.name}: about {depth.get('ApproximateNumberOfMessages', '?')} messages waiting "
        f"({depth.get('ApproximateNumberOfMessagesNotVisible', '0')} in flight)"
    )
    destination: Queue | None = None
    sources: list[Queue] = []
    if args.to:
        destination = resolve_queue(conn, args.to)
    elif not (args.to_target or args.discard):
        sources = source_queues(conn, dlq)
        if len(sources) != 1:
            names = ", ".join(q.name for q in sources) or "none"
            raise SystemExit(
                f"{dlq.name} is the dead-letter queue of {len(sources)} queues ({names}): say where with --to, "
                "--to-target (EventBridge's undelivered events) or --discard"
            )
        destination = sources[0]
    verb = "discard" if args.discard else "move"
    if destination is not None:
        out(f"destination: {destination.name}")
    elif args.to_target:
        out("destination: each message's TARGET_ARN (the event's detail, as its rule sends it)")

    plain = destination is not None and destination.arn in {q.arn for q in sources} and not (args.max or args.reasons)
    if args.method == "move-task" and not plain:
        raise SystemExit("--method move-task moves the whole queue back to its source: no --to/--max/--reason")
    if plain and args.method != "copy" and not args.dry_run:
        listed = _list(conn, dlq, args, out)
        if listed == 0:
            out("nothing to move")
            return 0
        if _move_task(conn, dlq, args, out):
            return 0
        if args.method == "move-task":
            return 1
        out("falling back to receive / send / delete in batches")

    tally = Tally()
    held: dict[str, Message] = {}  # released at the end: looked at, skipped, or not copied
    targets: dict[str, Queue | None] = {}
    limit = args.max or 0
    started_ms = int(time.time() * 1000)
    try:
        for batch in receive(conn, dlq, wait=args.receive_wait):
            fresh = [m for m in batch if m.id not in held]
            for again in batch:  # held too long and handed out again: keep the newest receipt
                if again.id in held:
                    held[again.id] = again
            if not fresh:
                break  # every message left has been looked at
            chosen: list[tuple[Message, Queue, str, dict[str, Any]]] = []
            for message in fresh:
                tally.seen += 1
                if message.sent_ms > started_ms:  # arrived during this run (one we moved that failed again)
                    out(f"  {message.describe()}  -> left: arrived during this run")
                    held[message.id] = message
                    tally.skipped += 1
                    continue
                wanted = (not args.reasons or message.reason in args.reasons) and (not limit or tally.selected < limit)
                target = destination
                if wanted and args.to_target:
                    target_arn = message.attributes.get("TARGET_ARN", "")
                    if target_arn not in targets:
                        targets[target_arn] = resolve_queue(conn, target_arn) if ":sqs:" in target_arn else None
                    target = targets[target_arn]
                    if target is None:
                        out(f"  {message.describe()}  -> left: no TARGET_ARN of a queue")
                        tally.skipped += 1
                        held[message.id] = message
                        continue
                if not wanted:
                    matches = not args.reasons or message.reason in args.reasons
                    out(f"  {message.describe()}  -> left: {'--max reached' if matches else 'another reason'}")
                    tally.skipped += 1
                    held[message.id] = message
                    continue
                tally.selected += 1
                action = f"would {verb}" if args.dry_run else ("discarded" if args.discard else "moved")
                where = f" to {target.name}" if target is not None and not args.discard else ""
                out(f"  {message.describe()}  -> {action}{where}")
                if args.dry_run:
                    held[message.id] = message
                elif args.discard:
                    tally.discarded += len(delete(conn, dlq, [message]))
                elif target is not None:
                    body = str(message.raw["Body"])
                    if args.to_target:
                        chosen.append((message, target, _detail_of(body), {}))
                    else:
                        chosen.append((message, target, body, message.copy_attributes()))
            if chosen:
                accepted = send(conn, chosen, out)
                tally.moved += len(delete(conn, dlq, accepted))
                sent_ids = {m.id for m in accepted}
                for message, *_ in chosen:
                    if message.id not in sent_ids:
                        tally.failed += 1
                        held[message.id] = message
            if limit and tally.selected >= limit:
                break
    finally:
        release(conn, dlq, list(held.values()))
    done = "would be " + ("discarded" if args.discard else "moved") if args.dry_run else None
    out(
        f"{dlq.name}: {tally.seen} looked at, {tally.selected} selected"
        + (f" ({done})" if done else f", {tally.moved} moved, {tally.discarded} discarded, {tally.failed} failed")
        + f", {tally.skipped} left in place"
    )
    return 1 if tally.failed else 0


def _list(conn: Connection, dlq: Queue, args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """Show every message (attributes only) before a move task takes them all."""
    held: dict[str, Message] = {}
    try:
        for batch in receive(conn, dlq, visibility=60, wait=args.receive_wait):
            fresh = [m for m in batch if m.id not in held]
            if not fresh:
                break
            for message in fresh:
                out(f"  {message.describe()}")
            held.update((m.id, m) for m in batch)
    finally:
        release(conn, dlq, list(held.values()))
    return len(held)


def _move_task(conn: Connection, dlq: Queue, args: argparse.Namespace, out: Callable[[str], None]) -> bool:
    """SQS's own redrive to the source queue(s); False where the endpoint does not offer it."""
    from botocore.exceptions import ClientError

    sqs = conn.client("sqs")
    try:
        handle = sqs.start_message_move_task(SourceArn=dlq.arn)["TaskHandle"]
    except NotImplementedError as error:  # moto in-process
        out(f"message move task not available here ({error})")
        return False
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if "AccessDenied" in code:
            raise
        detail = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        out(f"message move task refused ({code}: {detail[:160]})")
        return False
    out(f"message move task started: {handle}")
    if not args.wait:
        out("SQS moves the messages in the background; see it with --wait or `aws sqs list-message-move-tasks`")
        return True
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=1).get("Results", [])
        task = tasks[0] if tasks else {}
        status = task.get("Status", "?")
        out(
            f"  {status}: {task.get('ApproximateNumberOfMessagesMoved', 0)} of "
            f"{task.get('ApproximateNumberOfMessagesToMove', '?')} moved"
        )
        if status != "RUNNING":
            if task.get("FailureReason"):
                out(f"  failure: {task['FailureReason']}")
            return True
        time.sleep(args.poll_seconds)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.redrive",
        description="Move messages from a dead-letter queue back to where they can succeed (never prints bodies).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument("queue", help="the dead-letter queue: URL, ARN, name, name without the stack prefix, intake-dlq")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--to", help="destination queue (default: the queue whose redrive policy names this one)")
    where.add_argument("--to-target", action="store_true", help="each message's TARGET_ARN, with the event's detail")
    where.add_argument("--discard", action="store_true", help="delete the selected messages instead of moving them")
    p.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
    p.add_argument("--max", type=int, default=0, help="at most this many messages")
    p.add_argument(
        "--reason",
        dest="reasons",
        action="append",
        default=[],
        metavar="CODE",
        help=f"only messages with this `reason` attribute ({NO_REASON!r}: without one); repeatable",
    )
    p.add_argument(
        "--method",
        choices=("auto", "move-task", "copy"),
        default="auto",
        help="auto: SQS's message move task for a whole queue back to its source where available, else copy",
    )
    p.add_argument("--wait", action="store_true", help="with a move task: wait until it ends")
    p.add_argument("--poll-seconds", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument("--receive-wait", type=int, default=1, help=argparse.SUPPRESS)  # tests: 0
    add_connection_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.max < 0:
        raise SystemExit("--max must be positive")
    return run(Connection.from_args(args), args)


if __name__ == "__main__":
    sys.exit(main())
