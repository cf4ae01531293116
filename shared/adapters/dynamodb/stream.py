"""The table's change stream as the events subdomain sees it: the changes of application items.

The stream carries every write (history lines, codes, locks, tickets, ...); only an application's
own item (keys.is_application) can be a status change, and that is decided here, where the key
formats are known, so shared/events never reads a key.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb import keys
from shared.events.status_changed import StreamChange


def application_changes(event: dict[str, Any]) -> list[StreamChange]:
    """The records of a stream batch that concern application items, images as plain values."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

    changes = []
    for record in DynamoDBStreamEvent(event).records:
        stream = record.dynamodb
        if stream is None or record.event_name is None or not keys.is_application(stream.keys or {}):
            continue
        changes.append(
            StreamChange(
                sequence_number=str(stream.sequence_number),
                event_name=record.event_name.name,
                keys=stream.keys,
                old_image=stream.old_image or None,
                new_image=stream.new_image or None,
            )
        )
    return changes
