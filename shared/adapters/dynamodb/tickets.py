"""Support tickets in the one table (keys.py): the ticket (by owner, by creation; by status, by
answer target), its messages, the complaint to FNS (by filing time) and the number counters.

The status index is sorted by the answer target, so "overdue" is a key condition (target < now),
not a scan. Every change is one transaction: the ticket (guarded by its version), its new
messages and, once, the complaint record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import (
    CONDITION_FAILED,
    DynamoStore,
    decode_token,
    encode_token,
    error_code,
    from_item,
    raise_transient,
    to_item,
    transaction_cancelled,
)
from shared.core.errors import ConcurrentUpdate, InvalidPageToken
from shared.core.paging import Page
from shared.support.models import Complaint, Ticket, TicketMessage, TicketStatus


def _ticket_attrs(ticket: Ticket) -> dict[str, Any]:
    data = ticket.model_dump(mode="json")
    data.update(keys.ticket(ticket.ticket_id))
    data[keys.ENTITY] = "ticket"
    if ticket.owner_sub:
        data[keys.BY_OWNER.pk] = keys.ticket_owner(ticket.owner_sub)
        data[keys.BY_OWNER.sk] = f"{keys.stamp(ticket.created_at)}#{ticket.ticket_id}"
    data[keys.BY_STATUS.pk] = keys.tickets_in(ticket.status.value)
    data[keys.BY_STATUS.sk] = f"{keys.stamp(ticket.answer_due_at)}#{ticket.ticket_id}"
    return data


def _message_attrs(ticket_id: str, seq: int, message: TicketMessage) -> dict[str, Any]:
    """`seq` keeps the order of the messages one change writes at the same instant."""
    data = message.model_dump(mode="json")
    sk = keys.ticket_message_sort(message.at, seq, message.message_id)
    data.update({**keys.key(keys.ticket_partition(ticket_id), sk), keys.ENTITY: "message"})
    return data


def _complaint_attrs(ticket: Ticket, complaint: Complaint) -> dict[str, Any]:
    data = complaint.model_dump(mode="json")
    data.update(
        {
            **keys.complaint(ticket.ticket_id),
            keys.ENTITY: "complaint",
            "ticket_id": ticket.ticket_id,
            "ticket_number": ticket.number,
            "owner_sub": ticket.owner_sub,
            "ticket_created_at": ticket.created_at.isoformat(),
            keys.BY_STATUS.pk: keys.COMPLAINTS,
            keys.BY_STATUS.sk: f"{keys.stamp(complaint.filed_at)}#{ticket.ticket_id}",
        }
    )
    return data


class DynamoTicketRepository(DynamoStore):
    def next_number(self, counter: str) -> int:
        response = self._ddb.update_item(
            TableName=self._table,
            Key=to_item(keys.counter(counter)),
            UpdateExpression="ADD next_number :one",
            ExpressionAttributeValues=to_item({":one": 1}),
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["next_number"]["N"])

    def create(self, ticket: Ticket, messages: Sequence[TicketMessage] = ()) -> bool:
        new = {"TableName": self._table, "ConditionExpression": f"attribute_not_exists({keys.PK})"}
        items = [{"Put": {**new, "Item": to_item(_ticket_attrs(ticket))}}]
        items += [
            {"Put": {**new, "Item": to_item(_message_attrs(ticket.ticket_id, i, m))}} for i, m in enumerate(messages)
        ]
        reasons = self._transact(items)
        if reasons is None:
            return True
        if reasons and reasons[0] == CONDITION_FAILED:
            return False
        raise transaction_cancelled(reasons)

    def get(self, ticket_id: str) -> Ticket | None:
        item = self._get(keys.ticket(ticket_id))
        return Ticket.model_validate(item) if item else None

    def messages(self, ticket_id: str) -> list[TicketMessage]:
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": f"{keys.PK} = :pk AND begins_with({keys.SK}, :m)",
                "ExpressionAttributeValues": to_item({":pk": keys.ticket_partition(ticket_id), ":m": keys.MESSAGE}),
                "ConsistentRead": True,
            }
        )
        return [TicketMessage.model_validate(i) for i in items]

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
                    "Item": to_item(_ticket_attrs(ticket)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": expected_version}),
                }
            }
        ]
        new = {"TableName": self._table, "ConditionExpression": f"attribute_not_exists({keys.PK})"}
        items += [
            {"Put": {**new, "Item": to_item(_message_attrs(ticket.ticket_id, i, m))}} for i, m in enumerate(messages)
        ]
        if complaint is not None:
            items.append({"Put": {**new, "Item": to_item(_complaint_attrs(ticket, complaint))}})
        reasons = self._transact(items)
        if reasons is None:
            return
        if CONDITION_FAILED in reasons:
            raise ConcurrentUpdate(ticket.ticket_id)
        raise transaction_cancelled(reasons)

    def _query(
        self,
        index: keys.Index,
        partition: str,
        limit: int,
        start: dict[str, Any] | None,
        *,
        before: str | None = None,
        newest_first: bool = False,
    ) -> Any:
        condition = f"{index.pk} = :p" + (f" AND {index.sk} < :before" if before else "")
        values = {":p": partition, ":before": before} if before else {":p": partition}
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if start:
            params["ExclusiveStartKey"] = start
        try:
            return self._ddb.query(**params)
        except ClientError as error:
            if error_code(error) == "ValidationException" and start:
                raise InvalidPageToken() from None
            raise_transient(error)
            raise

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Ticket]:
        partition = keys.ticket_owner(owner_sub)
        start = decode_token(next_token) if next_token else None
        if start is not None and start.get(keys.BY_OWNER.pk, {}).get("S") != partition:
            raise InvalidPageToken()  # a token from someone else's list
        response = self._query(keys.BY_OWNER, partition, limit, start, newest_first=True)
        items = [Ticket.model_validate(from_item(i)) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(items, encode_token(last) if last else None)

    def list_by_status(
        self, statuses: Sequence[TicketStatus], limit: int, next_token: str | None, due_before: datetime | None = None
    ) -> Page[Ticket]:
        """One status partition after another; the token says which one and where in it."""
        index, start = 0, None
        if next_token:
            position = decode_token(next_token)
            if not isinstance(position.get("i"), int) or not 0 <= position["i"] < len(statuses):
                raise InvalidPageToken()
            index, start = position["i"], position.get("k")
            if start is not None and (
                not isinstance(start, dict)
                or start.get(keys.BY_STATUS.pk, {}).get("S") != keys.tickets_in(statuses[index].value)
            ):
                raise InvalidPageToken()  # a token from another filter
        before = keys.stamp(due_before) if due_before else None
        items: list[Ticket] = []
        while index < len(statuses) and len(items) < limit:
            partition = keys.tickets_in(statuses[index].value)
            response = self._query(keys.BY_STATUS, partition, limit - len(items), start, before=before)
            items += [Ticket.model_validate(from_item(i)) for i in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if start is None:
                index += 1
        if index >= len(statuses):
            return Page(items, None)
        return Page(items, encode_token({"i": index, "k": start}))
