"""Document records in the one table (keys.py: `APP#<id>` / `DOC#<document id>`): DocumentRecords."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoStore, to_item

_TABLE_ATTRIBUTES = (keys.PK, keys.SK, keys.ENTITY)


def _record(item: dict[str, Any]) -> dict[str, Any]:
    """The record as it was put, without the table's own attributes."""
    return {k: v for k, v in item.items() if k not in _TABLE_ATTRIBUTES}


class DynamoDocumentRecords(DynamoStore):
    def put_document(self, application_id: str, document: dict[str, Any]) -> None:
        item = {**document, **keys.document(application_id, str(document["document_id"])), keys.ENTITY: "document"}
        self._ddb.put_item(TableName=self._table, Item=to_item(item))

    def get_document(self, application_id: str, document_id: str) -> dict[str, Any] | None:
        found = self._get(keys.document(application_id, document_id))
        return _record(found) if found else None

    def list_documents(self, application_id: str) -> list[dict[str, Any]]:
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": f"{keys.PK} = :pk AND begins_with({keys.SK}, :d)",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.application_partition(application_id), ":d": keys.DOCUMENT}
                ),
                "ConsistentRead": True,
            }
        )
        return [_record(i) for i in items]
