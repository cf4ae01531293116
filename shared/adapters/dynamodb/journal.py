"""The access journal in the one table (keys.py: `JOURNAL#<sub>` / `<at>#<entry id>`, with a TTL).

Newest first is a reverse query on the sort key; the page token is the last key, opaque to clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoStore, query_page, raise_transient, to_item
from shared.core.errors import TransientStorageError
from shared.core.paging import Page
from shared.journal.access import RETENTION, AccessEntry

_BATCH = 25


def _item(entry: AccessEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    stamp = data["at"].replace("+00:00", "Z")
    data.update(
        {
            keys.PK: keys.journal(entry.subject_sub),
            keys.SK: keys.journal_sort(stamp, entry.entry_id),
            keys.ENTITY: "access",
            keys.TTL: int((entry.at + RETENTION).timestamp()),
        }
    )
    return data


class DynamoAccessJournal(DynamoStore):
    def record(self, entries: Sequence[AccessEntry]) -> None:
        for start in range(0, len(entries), _BATCH):
            self._write([{"PutRequest": {"Item": to_item(_item(e))}} for e in entries[start : start + _BATCH]])

    def _write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self._table: requests}
        for _ in range(5):
            try:
                response = self._ddb.batch_write_item(RequestItems=pending)
            except ClientError as error:
                raise_transient(error)
                raise
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise TransientStorageError("journal entries left unprocessed")

    def list(self, subject_sub: str, limit: int, next_token: str | None) -> Page[AccessEntry]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"{keys.PK} = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.journal(subject_sub)}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, token = query_page(self._ddb, params, next_token, owner=(keys.PK, keys.journal(subject_sub)))
        return Page(items=[AccessEntry.model_validate(i) for i in items], next_token=token)

    def reassign(self, from_subject: str, to_subject: str) -> int:
        moved = 0
        token: str | None = None
        while True:
            page = self.list(from_subject, 100, token)
            if page.items:
                self.record([e.model_copy(update={"subject_sub": to_subject}) for e in page.items])
                deletes = [
                    {"DeleteRequest": {"Key": to_item({k: v for k, v in _item(e).items() if k in (keys.PK, keys.SK)})}}
                    for e in page.items
                ]
                for start in range(0, len(deletes), _BATCH):
                    self._write(deletes[start : start + _BATCH])
                moved += len(page.items)
            if page.next_token is None:
                return moved
            token = None  # the moved entries are gone: start again from the newest
