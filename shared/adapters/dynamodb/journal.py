"""The access journal in the applications table: `JOURNAL#<sub>` / `<at>#<entry id>`, with a TTL.

Newest first is a reverse query on the sort key; the page token is the last key, opaque to clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb.applications import _raise_transient, _to_item, query_page
from shared.core.clients import client
from shared.core.errors import TransientStorageError
from shared.journal.access import RETENTION, AccessEntry, JournalPage

_BATCH = 25


def _item(entry: AccessEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    stamp = data["at"].replace("+00:00", "Z")
    data.update(
        {
            "pk": f"JOURNAL#{entry.subject_sub}",
            "sk": f"{stamp}#{entry.entry_id}",
            "entity": "access",
            "ttl": int((entry.at + RETENTION).timestamp()),
        }
    )
    return data


class DynamoAccessJournal:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def record(self, entries: Sequence[AccessEntry]) -> None:
        for start in range(0, len(entries), _BATCH):
            self._write([{"PutRequest": {"Item": _to_item(_item(e))}} for e in entries[start : start + _BATCH]])

    def _write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self._table: requests}
        for _ in range(5):
            try:
                response = self._ddb.batch_write_item(RequestItems=pending)
            except ClientError as error:
                _raise_transient(error)
                raise
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise TransientStorageError("journal entries left unprocessed")

    def list(self, subject_sub: str, limit: int, next_token: str | None) -> JournalPage:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": _to_item({":pk": f"JOURNAL#{subject_sub}"}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, token = query_page(self._ddb, params, next_token, owner=("pk", f"JOURNAL#{subject_sub}"))
        return JournalPage(items=[AccessEntry.model_validate(i) for i in items], next_token=token)

    def reassign(self, from_subject: str, to_subject: str) -> int:
        moved = 0
        token: str | None = None
        while True:
            page = self.list(from_subject, 100, token)
            if page.items:
                self.record([e.model_copy(update={"subject_sub": to_subject}) for e in page.items])
                keys = [
                    {"DeleteRequest": {"Key": _to_item({k: v for k, v in _item(e).items() if k in ("pk", "sk")})}}
                    for e in page.items
                ]
                for start in range(0, len(keys), _BATCH):
                    self._write(keys[start : start + _BATCH])
                moved += len(page.items)
            if page.next_token is None:
                return moved
            token = None  # the moved entries are gone: start again from the newest
