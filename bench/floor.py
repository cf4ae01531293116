"""The moto-only floor of part 3: the happy path's AWS calls for N partner applications, against a
bare moto server, with no business logic, no Lambda and no local-cloud machinery.

What it sets up (not timed), in a fresh moto server process of its own (bench/floor_server.py:
moto as it is, made safe for concurrent DynamoDB requests, with the local cloud's own DynamoDB
engine patches when it has them, so both run on the same moto):
- the applications table as the template declares it (pk/sk, gsi1..gsi3 projecting ALL, a
  NEW_AND_OLD_IMAGES stream), an HMAC_256 KMS key, the intake queue, the partner's outcome queue,
  an event bus with the partner's rule targeting that queue;
- the onboarding state machine from infra/statemachine/onboarding.asl.json with every Task state
  replaced by a Pass state that returns the happy path's result (`{"outcome": "match"}`,
  `{"status": "ready"}`) at the same ResultPath: the same states, the same 6 transitions
  (NeedsContactCheck, HasInn, VerifyInn, RouteByOutcome, ActivateCabinet, Ready), executed by
  moto's Step Functions engine, with no Lambda behind them.

What it times: `WORKERS` threads each send the next 10 messages (SendMessageBatch), receive what
the queue holds (ReceiveMessage, 10 at a time: no backlog builds up, as in the local cloud whose
moto SQS → Lambda mapping takes each message as it is sent; moto's ReceiveMessage walks every
message in the queue), make for each the calls the functions make (counted in the local cloud by
the same botocore hook, and printed side by side in the results), then DeleteMessageBatch:
  intake   GetItem (partner key), GenerateMac (INN; the SNILS MAC once per process, as the
           function's cache does), TransactWriteItems (application, history, INN lock, partner
           key), PutEvents (`in_progress`, what the stream publisher sends), StartExecution (named
           after the application), UpdateItem (execution ARN), BatchWriteItem (journal entry);
  verify   GetItem, TransactWriteItems (application + history, version condition), UpdateItem
           (stage statistics);
  activate GetItem, TransactWriteItems, UpdateItem, PutEvents (`ready`).
The items written are copies of one application the pipeline stored in the same run (same
attributes, same sizes), with fresh ids. The clock stops when every consumer is done, no
execution is running and both status changes of every application are on the outcome queue
(EventBridge → SQS): where the pipeline's clock stops too.

Not in the floor (business logic or not an AWS call): validation, the FNS registry's HTTP call,
Lambda invocations and the local cloud's worker processes, stream polling.
It also estimates DynamoDB capacity units from the items it writes and reads (bench.cost).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.client
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from bench.cloud import ROOT, STATE, free_port, inn12, python
from bench.cost import Capacity, item_size
from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.table import applications_table

WORKERS = 8
PARTNER = "partner-1"
REGION = "eu-west-1"


PARTNER_KEY_PUT = 3  # the intake transaction's Put of the partner's request key


def _duplicate(error: ClientError) -> bool:
    """Moto's SQS may hand one message to two concurrent receivers (it has no lock for that): the
    second copy's intake transaction then fails on the partner's request key, which is how the
    intake function recognises a redelivery (and how it would on AWS, where delivery is at least once)."""
    reasons = error.response.get("CancellationReasons") or []
    return (
        error.response.get("Error", {}).get("Code") == "TransactionCanceledException"
        and len(reasons) > PARTNER_KEY_PUT
        and reasons[PARTNER_KEY_PUT].get("Code") == "ConditionalCheckFailed"
    )


class CallCounter:
    """The same hook as the local cloud's workers (localcloud/worker.py): calls by service:operation."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._original = botocore.client.BaseClient._make_api_call

    def __enter__(self) -> CallCounter:
        original, calls, lock = self._original, self.calls, self._lock

        def counted(client: Any, operation: str, params: Any) -> Any:
            key = f"{client.meta.service_model.service_id}:{operation}"
            with lock:
                calls[key] = calls.get(key, 0) + 1
                if isinstance(params, dict) and isinstance(params.get("Entries"), list):
                    calls[key + "#entries"] = calls.get(key + "#entries", 0) + len(params["Entries"])
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted
        return self

    def __exit__(self, *exc: object) -> None:
        botocore.client.BaseClient._make_api_call = self._original


def floor_definition() -> dict[str, Any]:
    """The onboarding state machine with each Task replaced by a Pass returning the happy result."""
    definition = json.loads((ROOT / "infra/statemachine/onboarding.asl.json").read_text())
    results = {"VerifyInn": {"outcome": "match"}, "ActivateCabinet": {"status": "ready"}}
    for name, state in definition["States"].items():
        if state["Type"] != "Task":
            continue
        passed: dict[str, Any] = {"Type": "Pass", "Result": results.get(name, {})}
        for key in ("Next", "End", "ResultPath", "Comment"):
            if key in state:
                passed[key] = state[key]
        definition["States"][name] = passed
    return definition


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        STATE.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MOTO_PORT": str(self.port)}
        log = open(STATE / f"floor-moto-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [python(), "-m", "bench.floor_server", str(self.port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        requests.post(
            f"{self.endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
        ).raise_for_status()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self, service: str, pool: int = 20) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (moto takes any)
            # the functions' own client settings (shared/core/clients.py): standard retries, 3 attempts
            config=Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 3}, read_timeout=120),
        )


def _typed(key: dict[str, str]) -> dict[str, Any]:
    return {k: {"S": v} for k, v in key.items()}


class Floor:
    def __init__(self, server: MotoServer, templates: dict[str, Any]) -> None:
        self.server = server
        self.templates = templates
        self.capacity = Capacity(gsis=tuple(index.name for index in keys.INDEXES))
        self.ddb = server.client("dynamodb")
        self.kms = server.client("kms")
        self.sqs = server.client("sqs")
        self.sfn = server.client("stepfunctions")
        self.events = server.client("events")
        self._snils_macs: dict[str, str] = {}
        self._snils_lock = threading.Lock()

    def setup(self) -> None:
        self.table = "floor-applications"
        self.ddb.create_table(**applications_table(self.table))
        self.key_id = self.kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        # as the template's intake queue would for a slow consumer: no message seen twice within a run
        self.intake = self.sqs.create_queue(QueueName="floor-intake", Attributes={"VisibilityTimeout": "3600"})[
            "QueueUrl"
        ]
        self.outcomes = self.sqs.create_queue(QueueName=f"floor-outcomes-{PARTNER}")["QueueUrl"]
        outcome_arn = self.sqs.get_queue_attributes(QueueUrl=self.outcomes, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.bus = "floor-bus"
        self.events.create_event_bus(Name=self.bus)
        self.events.put_rule(
            Name=f"outcomes-{PARTNER}",
            EventBusName=self.bus,
            EventPattern=json.dumps({"source": ["tax-cabinet.applications"], "detail": {"partner_id": [PARTNER]}}),
        )
        self.events.put_targets(
            Rule=f"outcomes-{PARTNER}", EventBusName=self.bus, Targets=[{"Id": "queue", "Arn": outcome_arn}]
        )
        self.machine = self.sfn.create_state_machine(
            name="floor-onboarding",
            definition=json.dumps(floor_definition()),
            roleArn="arn:aws:iam::123456789012:role/floor",
        )["stateMachineArn"]

    # --- the calls of one application -------------------------------------------------------

    def _copy(self, item: dict[str, Any], swaps: dict[str, str]) -> dict[str, Any]:
        text = json.dumps(item)
        for old, new in swaps.items():
            if old:
                text = text.replace(old, new)
        return dict(json.loads(text))

    def _mac(self, value: str) -> str:
        reply = self.kms.generate_mac(KeyId=self.key_id, Message=value.encode(), MacAlgorithm="HMAC_SHA_256")
        return bytes(reply["Mac"]).hex()

    def _snils_mac(self, snils: str) -> str:
        with self._snils_lock:  # the function caches its MACs (lru_cache): one call per value and process
            if snils not in self._snils_macs:
                self._snils_macs[snils] = self._mac(snils)
            return self._snils_macs[snils]

    def _publish(self, app_id: str, status: str, version: int) -> None:
        detail = {
            "schema_version": "1.0",
            "partner_id": PARTNER,
            "request_id": str(uuid.uuid4()),
            "application_id": app_id,
            "status": status,
            "rejection_reasons": [],
            "application_version": version,
            "changed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        entry = {
            "EventBusName": self.bus,
            "Source": "tax-cabinet.applications",
            "DetailType": "ApplicationStatusChanged",
            "Detail": json.dumps(detail),
        }
        reply = self.events.put_events(Entries=[entry])
        if reply.get("FailedEntryCount"):
            raise RuntimeError(f"PutEvents refused: {reply}")

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self.ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        self.capacity.read("GetItem", item_size(item) if item else 0, consistent=True)
        return item

    def _transact(self, puts: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]) -> None:
        """(item, condition, previous item or None) per Put."""
        self.ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": self.table, "Item": item, **condition}} for item, condition, _ in puts]
        )
        for item, _, previous in puts:
            self.capacity.write("TransactWriteItems", item, previous, transactional=True)

    def application(self, body: dict[str, Any], request_id: str) -> None:
        t = self.templates
        meta_t = t["meta"]
        app_id = str(uuid.uuid4())
        # intake
        self._get(_typed(keys.partner_request(PARTNER, request_id)))
        inn_hash = self._mac(body["inn"])
        self._snils_mac(body["snils"])
        swaps = {
            meta_t["application_id"]["S"]: app_id,
            meta_t["inn_hash"]["S"]: inn_hash,
            meta_t["request_id"]["S"]: request_id,
        }
        history = sorted(t["history"], key=lambda i: i[keys.SK]["S"])
        meta = self._copy(meta_t, swaps)
        stages = [("in_progress", 1), ("in_progress", 2), ("ready", 3)]

        def meta_at(step: int) -> dict[str, Any]:
            status, version = stages[step]
            item = dict(meta)
            item.update(status={"S": status}, version={"N": str(version)})
            item[keys.BY_STATUS.pk] = {"S": keys.status(status)}
            return item

        absent = {"ConditionExpression": f"attribute_not_exists({keys.PK})"}
        created = meta_at(0)
        self._transact(
            [
                (created, absent, None),
                (self._copy(history[0], swaps), absent, None),
                (self._copy(t["lock"], swaps), absent, None),
                (self._copy(t["partner"], swaps), absent, None),
            ]
        )
        self._publish(app_id, "in_progress", 1)
        payload = {
            "application_id": app_id,
            "correlation_id": f"{PARTNER}:{request_id}",
            "confirm_contact": False,
            "has_inn": True,
            "code_ttl_seconds": 600,
        }
        arn = self.sfn.start_execution(stateMachineArn=self.machine, name=app_id, input=json.dumps(payload))[
            "executionArn"
        ]
        key = {keys.PK: created[keys.PK], keys.SK: created[keys.SK]}
        self.ddb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET execution_arn = :arn",
            ConditionExpression=f"attribute_exists({keys.PK})",
            ExpressionAttributeValues={":arn": {"S": arn}},
        )
        with_arn = {**created, "execution_arn": {"S": arn}}
        self.capacity.write("UpdateItem", with_arn, created)
        journal = [self._copy(j, swaps) for j in t["journal"][:1]]
        self.ddb.batch_write_item(RequestItems={self.table: [{"PutRequest": {"Item": j}} for j in journal]})
        for j in journal:
            self.capacity.write("BatchWriteItem", j, None)
        # verify, then activate: read, transition with the version condition, stage statistics
        previous = with_arn
        for step in (1, 2):
            self._get(key)
            item = meta_at(step)
            versioned = {
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":expected": {"N": str(step)}},
            }
            self._transact(
                [(item, versioned, previous), (self._copy(history[min(step, len(history) - 1)], swaps), absent, None)]
            )
            stats = (
                t["stats"][(step - 1) % max(1, len(t["stats"]))] if t["stats"] else _typed(keys.stage_time("fns_check"))
            )
            self.ddb.update_item(
                TableName=self.table,
                Key={keys.PK: stats[keys.PK], keys.SK: stats[keys.SK]},
                UpdateExpression="ADD samples :one, total_seconds :s",
                ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"N": "0.123"}},
            )
            self.capacity.write("UpdateItem", stats, stats)
            previous = item
        self._publish(app_id, "ready", 3)

    def _queue_depth(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.outcomes,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def run(self, count: int) -> dict[str, Any]:
        bodies = []
        for n in range(count):
            inn = inn12(f"77{(n * 7919 + 12345) % 10**8:08d}")
            bodies.append({"inn": inn, "snils": "112-233-445 95"})
        messages = [
            json.dumps({"partner_id": PARTNER, "request_id": str(uuid.uuid4()), "application": b}) for b in bodies
        ]
        batches = [messages[i : i + 10] for i in range(0, len(messages), 10)]
        failures: queue.Queue[BaseException] = queue.Queue()
        state = {"next_batch": 0, "remaining": count, "duplicates": 0}
        lock = threading.Lock()

        def work() -> None:
            """Send the next batch, then take whatever the queue holds: no backlog builds up (moto's
            ReceiveMessage walks every message in the queue), as in the local cloud, where moto's
            SQS → Lambda mapping takes each message as it is sent."""
            while True:
                with lock:
                    if state["remaining"] <= 0:
                        return
                    batch = batches[state["next_batch"]] if state["next_batch"] < len(batches) else None
                    state["next_batch"] += 1
                if batch is not None:
                    self.sqs.send_message_batch(
                        QueueUrl=self.intake, Entries=[{"Id": str(i), "MessageBody": m} for i, m in enumerate(batch)]
                    )
                got = self.sqs.receive_message(
                    QueueUrl=self.intake, MaxNumberOfMessages=10, WaitTimeSeconds=0 if batch else 1
                )
                received = got.get("Messages", [])
                for message in received:
                    data = json.loads(message["Body"])
                    try:
                        self.application(data["application"], data["request_id"])
                    except ClientError as error:
                        if not _duplicate(error):
                            failures.put(error)
                        else:  # a second delivery of one already taken: dropped, as the function drops it
                            with lock:
                                state["duplicates"] += 1
                            continue
                    except BaseException as error:
                        failures.put(error)
                    with lock:
                        state["remaining"] -= 1
                if received:
                    self.sqs.delete_message_batch(
                        QueueUrl=self.intake,
                        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
                    )

        with CallCounter() as counter:
            started = time.perf_counter()
            with ThreadPoolExecutor(WORKERS) as pool:
                for future in [pool.submit(work) for _ in range(WORKERS)]:
                    future.result()
            calls_done = time.perf_counter()
        if not failures.empty():
            raise failures.get()
        # not counted: the floor's own waiting for moto to finish what was asked of it
        while self.sfn.list_executions(stateMachineArn=self.machine, statusFilter="RUNNING", maxResults=1)[
            "executions"
        ]:
            time.sleep(0.05)
        while self._queue_depth() < 2 * count:
            time.sleep(0.05)
        finished = time.perf_counter()
        histories = [
            self.sfn.get_execution_history(executionArn=e["executionArn"], maxResults=1000)["events"]
            for e in self.sfn.list_executions(stateMachineArn=self.machine, maxResults=5)["executions"]
        ]
        transitions = [sum(1 for e in h if e["type"].endswith("StateEntered")) for h in histories]
        return {
            "applications": count,
            "threads": WORKERS,
            "wall_s": round(finished - started, 2),
            "calls_done_s": round(calls_done - started, 2),
            "duplicate_deliveries": state["duplicates"],
            "calls": counter.calls,
            "calls_per_application": {k: round(v / count, 3) for k, v in sorted(counter.calls.items())},
            "transitions_per_execution": transitions,
            "dynamodb_units_per_application": self.capacity.per_application(count),
            "dynamodb_units_by_operation": self.capacity.by_operation(),
        }


def run(templates: dict[str, Any], count: int = 1000) -> dict[str, Any]:
    with MotoServer() as server:
        floor = Floor(server, templates)
        floor.setup()
        result = floor.run(count)
    result["how"] = (
        f"a bare moto server; {WORKERS} threads each send 10 partner messages (SendMessageBatch), receive 10 and "
        f"make each one's happy-path AWS calls with no business logic and no Lambda, until all {count} are done "
        "(bench/floor.py); then until every execution is done and both status changes are on the outcome queue"
    )
    return result
