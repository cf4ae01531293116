"""EventBridge PutEvents behind shared.events.ports.EventPublisher, and the SQS queue that keeps the
changes which could not become events (shared.events.ports.SetAside)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.core.clients import client
from shared.core.observability import get_logger
from shared.events.status_changed import DETAIL_TYPE, EVENT_SOURCE, ApplicationStatusChanged, Unpublishable

logger = get_logger()
_MAX_ENTRIES = 10  # PutEvents takes at most 10 entries per call


class EventBridgePublisher:
    def __init__(self, bus_name: str, events_client: Any = None) -> None:
        self._bus = bus_name
        self._client = events_client  # an operator tool's own client (scripts/republish.py); else shared.core.clients's

    def _entry(self, event: ApplicationStatusChanged) -> dict[str, object]:
        return {
            "EventBusName": self._bus,
            "Source": EVENT_SOURCE,
            "DetailType": DETAIL_TYPE,
            "Time": event.changed_at,
            "Detail": event.model_dump_json(),
        }

    def publish(self, events: Sequence[ApplicationStatusChanged]) -> list[int]:
        """Chunks of 10 in order. A refused entry or a failed call stops there: that event and every
        later one are reported, so the caller's retry keeps the stream order and sends no duplicate
        of what was accepted."""
        for start in range(0, len(events), _MAX_ENTRIES):
            chunk = events[start : start + _MAX_ENTRIES]
            try:
                reply = (self._client or client("events")).put_events(Entries=[self._entry(e) for e in chunk])
            except (ClientError, BotoCoreError) as error:
                logger.warning("PutEvents failed", extra={"error": type(error).__name__, "events": len(chunk)})
                return list(range(start, len(events)))
            refused = [i for i, entry in enumerate(reply.get("Entries", [])) if entry.get("ErrorCode")]
            if refused:
                codes = sorted({str(reply["Entries"][i]["ErrorCode"]) for i in refused})
                logger.warning("PutEvents refused entries", extra={"codes": codes, "refused": len(refused)})
                return list(range(start + refused[0], len(events)))
        return []


class SqsSetAside:
    """The publisher's failure queue (also the stream mapping's on-failure destination)."""

    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def record(self, failure: Unpublishable) -> None:
        change = failure.change
        body = {
            "reason": "unpublishable",
            "problem": failure.problem,
            "sequence_number": change.sequence_number,
            "event_name": change.event_name,
            "keys": {k: str(v) for k, v in change.keys.items()},
        }
        client("sqs").send_message(QueueUrl=self._url, MessageBody=json.dumps(body))
        logger.error("status change set aside: it cannot make an event", extra=body)
