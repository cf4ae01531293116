"""DynamoDB Streams → Lambda in the local cloud, the way Lambda's stream poller behaves.

What moto 5.2.5 does (moto/dynamodb/models/table.py `StreamShard.add`, called by every write):
- it invokes the mapped function synchronously, inside the writer's own request, once per item
  written; a slow or failing publisher slows or breaks the writer;
- inside TransactWriteItems it does so item by item *before* the transaction commits, so a
  cancelled transaction (a lost version check, a partner's resent message) still delivers the
  records of the writes it rolled back: events for changes that never happened;
- it ignores the mapping's FilterCriteria, batching, BisectBatchOnFunctionError, retries, partial
  batch responses (ReportBatchItemFailures) and on-failure destination.

Here a committed write is handed, in commit order, to one poller thread per event source mapping
(one shard, in order): records of a transaction are held until it commits and dropped if it is
cancelled; the poller applies the mapping's filters, batches up to BatchSize, invokes the function
(localcloud.lambda_runtime), resumes from the first `batchItemFailures` entry, bisects a failing
batch, retries with a short backoff until MaximumRetryAttempts or MaximumRecordAgeInSeconds, then
sends Lambda's failure record (shard, sequence range) to the OnFailure SQS destination. A table
without a mapping keeps moto's own behaviour (records readable with GetRecords).
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime
from functools import wraps
from typing import Any

log = logging.getLogger("localcloud.streams")

BACKOFF_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 2.0
MAX_LOCAL_WINDOW_SECONDS = 1.0  # a batching window longer than this only slows local runs
_FIRST_SEQUENCE = 100_000_000_000_000_000_000

_local = threading.local()
_sequence = itertools.count(1)
_pollers: dict[str, _Poller] = {}
_pollers_lock = threading.Lock()


def _record(shard: Any, old: Any, new: Any) -> Any:
    from moto.dynamodb.models.table import StreamRecord

    event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return StreamRecord(shard.table, shard.table.stream_specification["StreamViewType"], event_name, old, new, 0)


def _add(shard: Any, old: Any, new: Any) -> None:
    """Replaces `StreamShard.add`: hold the record while a transaction runs, else hand it on."""
    record = _record(shard, old, new)
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.append((shard, record))
    else:
        _committed(shard, record)


def _committed(shard: Any, record: Any) -> None:
    mappings = list(shard.table.lambda_event_source_mappings.values())
    if not mappings:  # moto's own behaviour: kept on the shard, its position is its index
        record.record["dynamodb"]["SequenceNumber"] = str(len(shard.items) + shard.starting_sequence_number)
        shard.items.append(record)
        return
    record.record["dynamodb"]["SequenceNumber"] = str(_FIRST_SEQUENCE + next(_sequence))
    for esm in mappings:
        _poller(esm).put(_lambda_record(record, esm))


def _lambda_record(record: Any, esm: Any) -> dict[str, Any]:
    """The record as Lambda passes it (moto's `send_dynamodb_items` shape), a copy per mapping."""
    data = record.to_json()
    dynamodb = dict(data["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.replace(tzinfo=created.tzinfo or UTC).timestamp())
    shaped = {
        "eventID": data["eventID"],
        "eventName": data["eventName"],
        "eventVersion": data["eventVersion"],
        "eventSource": data["eventSource"],
        "awsRegion": esm.region,
        "dynamodb": dynamodb,
        "eventSourceARN": esm.event_source_arn,
    }
    return dict(json.loads(json.dumps(shaped)))


def _transactional(original: Any) -> Any:
    @wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        if getattr(_local, "pending", None) is not None:
            return original(self, transact_items)
        _local.pending = []
        try:
            result = original(self, transact_items)
        except BaseException:
            _local.pending = None  # cancelled: its writes were rolled back, so are their records
            raise
        committed, _local.pending = _local.pending, None
        for shard, record in committed:
            _committed(shard, record)
        return result

    return transact_write_items


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, replacement) for moto's classes; `install()` applies them."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    current = DynamoDBBackend.transact_write_items
    return [
        (StreamShard, "add", _add),
        (DynamoDBBackend, "transact_write_items", _transactional(getattr(current, "__wrapped__", current))),
    ]


def install() -> None:
    for owner, name, value in patches():
        setattr(owner, name, value)


def _poller(esm: Any) -> _Poller:
    with _pollers_lock:
        poller = _pollers.get(esm.uuid)
        if poller is None:
            poller = _pollers[esm.uuid] = _Poller(esm.uuid, esm.account_id, esm.region)
        return poller


def wait_idle(timeout: float = 10.0) -> bool:
    """True once every committed record has been delivered (or set aside): for tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _pollers_lock:
            busy = [p for p in _pollers.values() if p.busy()]
        if not busy:
            return True
        time.sleep(0.01)
    return False


class _Poller:
    """One event source mapping: records in commit order, delivered one batch at a time."""

    def __init__(self, uuid: str, account_id: str, region: str) -> None:
        self._uuid = uuid
        self._account = account_id
        self._region = region
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._run, name=f"stream-{uuid[:8]}", daemon=True).start()

    def put(self, record: dict[str, Any]) -> None:
        self._queue.put(record)

    def busy(self) -> bool:
        return self._queue.unfinished_tasks > 0

    def _mapping(self) -> Any:
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self._account][self._region].get_event_source_mapping(self._uuid)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            try:
                esm = self._mapping()
                if esm is None:  # the mapping was deleted: nobody reads the stream
                    continue
                size = int(esm.batch_size or 100)
                window = min(float(esm.max_batch_window or 0), MAX_LOCAL_WINDOW_SECONDS)
                deadline = time.monotonic() + window
                while len(batch) < size:
                    try:
                        batch.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0.001)))
                    except queue.Empty:
                        break
                while not esm.enabled:  # a disabled mapping keeps its position
                    time.sleep(0.2)
                kept = [r for r in batch if _matches(esm, r)]
                if kept:
                    self._deliver(esm, kept, attempts=0)
            except Exception:  # never let the poller die: the next records must still flow
                log.exception("stream delivery failed")
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _deliver(self, esm: Any, records: list[dict[str, Any]], attempts: int) -> None:
        while records:
            payload, errored = _invoke(esm, records)
            if not errored:
                first_failed = _first_failure(esm, payload, records)
                if first_failed is None:
                    return
                records = records[first_failed:]
            elif esm.bisect_on_error and len(records) > 1:
                middle = len(records) // 2
                self._deliver(esm, records[:middle], attempts + 1)
                self._deliver(esm, records[middle:], attempts + 1)
                return
            attempts += 1
            condition = _given_up(esm, records, attempts)
            if condition:
                _on_failure(esm, records, condition, attempts)
                return
            time.sleep(min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** min(attempts, 5)))


def _matches(esm: Any, record: dict[str, Any]) -> bool:
    """Lambda's event filtering: a record passes if any filter's pattern (EventBridge syntax) matches."""
    from moto.events.models import EventPattern

    filters = (esm.filter_criteria or {}).get("Filters") or []
    return not filters or any(EventPattern.load(f["Pattern"]).matches_event(record) for f in filters)  # type: ignore[arg-type]


def _invoke(esm: Any, records: list[dict[str, Any]]) -> tuple[Any, bool]:
    from moto.awslambda.models import lambda_backends

    function = lambda_backends[esm.account_id][esm.region].get_function(esm.function_arn)
    payload, errored, _ = function._invoke_lambda(event={"Records": records})  # type: ignore[arg-type]
    return payload, bool(errored)


def _first_failure(esm: Any, payload: Any, records: list[dict[str, Any]]) -> int | None:
    """Where a partial batch response asks Lambda to resume (the lowest sequence number reported)."""
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return None
    try:
        reply = json.loads(payload) if isinstance(payload, str | bytes) else payload
    except json.JSONDecodeError:
        return None
    failures = reply.get("batchItemFailures") if isinstance(reply, dict) else None
    if not failures:
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
    reported = [str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)]
    if any(r not in positions for r in reported):
        return 0  # an identifier Lambda cannot place fails the whole batch
    return min(positions[r] for r in reported)


def _given_up(esm: Any, records: list[dict[str, Any]], attempts: int) -> str | None:
    retries = esm.max_retry_attempts
    if retries is not None and int(retries) >= 0 and attempts > int(retries):
        return "RetryAttemptsExhausted"
    max_age = esm.max_record_age
    oldest = records[0]["dynamodb"].get("ApproximateCreationDateTime")
    if max_age is not None and int(max_age) >= 0 and oldest is not None and time.time() - oldest > int(max_age):
        return "RecordAgeExceeded"
    return None


def _on_failure(esm: Any, records: list[dict[str, Any]], condition: str, attempts: int) -> None:
    """Lambda's invocation record for a stream batch it gave up on: where it was, not what it held."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    info = {
        "requestContext": {
            "requestId": f"local-{first['SequenceNumber']}",
            "functionArn": esm.function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": "shardId-local",
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
            "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
            "batchSize": len(records),
            "streamArn": esm.event_source_arn,
        },
    }
    destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    log.warning("stream batch given up (%s): %s", condition, json.dumps(info["DDBStreamBatchInfo"]))
    if destination and destination.split(":")[2] == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[esm.account_id][esm.region].send_message(
            queue_name=destination.split(":")[-1], message_body=json.dumps(info)
        )
