"""Support tickets in the applications table (single-table layout, docs/architecture.md).

| item | pk | sk |
| ticket | `TICKET#<id>` | `META` (gsi1 `TICKETOWNER#<sub>` by creation, gsi2 `TICKETS#<status>` by answer target) |
| message | `TICKET#<id>` | `MSG#<at>#<message id>` |
| complaint to FNS | `COMPLAINT#<ticket id>` | `META` (gsi2 `COMPLAINTS` by filing time) |
| counters | `COUNTER#tickets`, `COUNTER#complaints` | `COUNTER` |

The status index is sorted by the answer target, so "overdue" is a key condition (target < now),
not a scan. Every change is one transaction: the ticket (guarded by its version), its new
messages and, once, the complaint record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb.applications import (
    _cancel_reasons,
    _decode_token,
    _encode_token,
    _from_item,
    _raise_transient,
    _to_item,
)
from shared.core.clients import client
from shared.core.errors import ConcurrentUpdate, InvalidPageToken, TransientStorageError
from shared.support.tickets import Complaint, Ticket, TicketMessage, TicketPage, TicketStatus


def key_stamp(at: datetime) -> str:
    """A fixed-width UTC time for sort keys: string order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ticket_key(ticket_id: str) -> dict[str, str]:
    return {"pk": f"TICKET#{ticket_id}", "sk": "META"}


def _ticket_attrs(ticket: Ticket) -> dict[str, Any]:
    data = ticket.model_dump(mode="json")
    data.update(ticket_key(ticket.ticket_id))
    data["entity"] = "ticket"
    if ticket.owner_sub:
        data["gsi1pk"] = f"TICKETOWNER#{ticket.owner_sub}"
        data["gsi1sk"] = f"{key_stamp(ticket.created_at)}#{ticket.ticket_id}"
    data["gsi2pk"] = f"TICKETS#{ticket.status.value}"
    data["gsi2sk"] = f"{key_stamp(ticket.answer_due_at)}#{ticket.ticket_id}"
    return data


def _message_attrs(ticket_id: str, seq: int, message: TicketMessage) -> dict[str, Any]:
    """`seq` keeps the order of the messages one change writes at the same instant."""
    data = message.model_dump(mode="json")
    sk = f"MSG#{key_stamp(message.at)}#{seq:03d}#{message.message_id}"
    data.update({"pk": f"TICKET#{ticket_id}", "sk": sk, "entity": "message"})
    return data


def _complaint_attrs(ticket: Ticket, complaint: Complaint) -> dict[str, Any]:
    data = complaint.model_dump(mode="json")
    data.update(
        {
            "pk": f"COMPLAINT#{ticket.ticket_id}",
            "sk": "META",
            "entity": "complaint",
            "ticket_id": ticket.ticket_id,
            "ticket_number": ticket.number,
            "owner_sub": ticket.owner_sub,
            "ticket_created_at": ticket.created_at.isoformat(),
            "gsi2pk": "COMPLAINTS",
            "gsi2sk": f"{key_stamp(complaint.filed_at)}#{ticket.ticket_id}",
        }
    )
    return data


class DynamoTicketRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def next_number(self, counter: str) -> int:
        response = self._ddb.update_item(
            TableName=self._table,
            Key=_to_item({"pk": f"COUNTER#{counter}", "sk": "COUNTER"}),
            UpdateExpression="ADD next_number :one",
            ExpressionAttributeValues=_to_item({":one": 1}),
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["next_number"]["N"])

    def create(self, ticket: Ticket, messages: Sequence[TicketMessage] = ()) -> bool:
        new = {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)"}
        items = [{"Put": {**new, "Item": _to_item(_ticket_attrs(ticket))}}]
        items += [
            {"Put": {**new, "Item": _to_item(_message_attrs(ticket.ticket_id, i, m))}} for i, m in enumerate(messages)
        ]
        reasons = self._transact(items)
        if reasons is None:
            return True
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise TransientStorageError("transaction cancelled: " + ",".join(reasons))

    def get(self, ticket_id: str) -> Ticket | None:
        try:
            response = self._ddb.get_item(
                TableName=self._table, Key=_to_item(ticket_key(ticket_id)), ConsistentRead=True
            )
        except ClientError as error:
            _raise_transient(error)
            raise
        item = response.get("Item")
        return Ticket.model_validate(_from_item(item)) if item else None

    def messages(self, ticket_id: str) -> list[TicketMessage]:
        out: list[TicketMessage] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "ExpressionAttributeValues": _to_item({":pk": f"TICKET#{ticket_id}", ":m": "MSG#"}),
            "ConsistentRead": True,
        }
        while True:
            response = self._ddb.query(**params)
            out += [TicketMessage.model_validate(_from_item(i)) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return out
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save(
        self,
        ticket: Ticket,
        expected_version: int,
        messages: Sequence[TicketMessage] = (),
        complaint: Complaint | None = None,
    ) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _to_item(_ticket_attrs(ticket)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": _to_item({":expected": expected_version}),
                }
            }
        ]
        new = {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)"}
        items += [
            {"Put": {**new, "Item": _to_item(_message_attrs(ticket.ticket_id, i, m))}} for i, m in enumerate(messages)
        ]
        if complaint is not None:
            items.append({"Put": {**new, "Item": _to_item(_complaint_attrs(ticket, complaint))}})
        reasons = self._transact(items)
        if reasons is None:
            return
        if "ConditionalCheckFailed" in reasons:
            raise ConcurrentUpdate(ticket.ticket_id)
        raise TransientStorageError("transaction cancelled: " + ",".join(reasons))

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                _raise_transient(error)
                raise
            return _cancel_reasons(error)
        return None

    def _query(
        self,
        index: str,
        partition: str,
        limit: int,
        start: dict[str, Any] | None,
        *,
        before: str | None = None,
        newest_first: bool = False,
    ) -> Any:
        condition = f"{index}pk = :p" + (f" AND {index}sk < :before" if before else "")
        values = {":p": partition, ":before": before} if before else {":p": partition}
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": _to_item(values),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if start:
            params["ExclusiveStartKey"] = start
        try:
            return self._ddb.query(**params)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ValidationException" and start:
                raise InvalidPageToken() from None
            _raise_transient(error)
            raise

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> TicketPage:
        partition = f"TICKETOWNER#{owner_sub}"
        start = _decode_token(next_token) if next_token else None
        if start is not None and start.get("gsi1pk", {}).get("S") != partition:
            raise InvalidPageToken()  # a token from someone else's list
        response = self._query("gsi1", partition, limit, start, newest_first=True)
        items = [Ticket.model_validate(_from_item(i)) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return TicketPage(items, _encode_token(last) if last else None)

    def list_by_status(
        self, statuses: Sequence[TicketStatus], limit: int, next_token: str | None, due_before: datetime | None = None
    ) -> TicketPage:
        """One status partition after another; the token says which one and where in it."""
        index, start = 0, None
        if next_token:
            position = _decode_token(next_token)
            if not isinstance(position.get("i"), int) or not 0 <= position["i"] < len(statuses):
                raise InvalidPageToken()
            index, start = position["i"], position.get("k")
            if start is not None and (
                not isinstance(start, dict) or start.get("gsi2pk", {}).get("S") != f"TICKETS#{statuses[index].value}"
            ):
                raise InvalidPageToken()  # a token from another filter
        before = key_stamp(due_before) if due_before else None
        items: list[Ticket] = []
        while index < len(statuses) and len(items) < limit:
            partition = f"TICKETS#{statuses[index].value}"
            response = self._query("gsi2", partition, limit - len(items), start, before=before)
            items += [Ticket.model_validate(_from_item(i)) for i in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if start is None:
                index += 1
        if index >= len(statuses):
            return TicketPage(items, None)
        return TicketPage(items, _encode_token({"i": index, "k": start}))
