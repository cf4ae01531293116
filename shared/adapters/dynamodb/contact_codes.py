"""Contact codes in the one table (keys.py: `APP#<id>` / `CODE`): ContactCodeStore.

One code per application (a new one replaces the old); the item expires a day after the code
does. Wrong tries are counted by a conditional update, so two concurrent tries cannot count once.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import CONDITION_FAILED_ERROR, DynamoStore, error_code, raise_transient, to_item
from shared.contact.ports import ContactCode

_KEPT_AFTER_EXPIRY = 24 * 3600  # seconds: DynamoDB deletes expired items lazily, the model checks expiry


class DynamoContactCodes(DynamoStore):
    def put_code(self, application_id: str, code: ContactCode) -> None:
        data = code.model_dump(mode="json")
        data.update(keys.contact_code(application_id))
        data[keys.ENTITY] = "contact_code"
        data[keys.TTL] = int(code.expires_at.timestamp()) + _KEPT_AFTER_EXPIRY
        self._ddb.put_item(TableName=self._table, Item=to_item(data))

    def get_code(self, application_id: str) -> ContactCode | None:
        data = self._get(keys.contact_code(application_id))
        return ContactCode.model_validate(data) if data else None

    def count_wrong_try(self, application_id: str, attempts_seen: int) -> bool:
        return self._conditional(
            lambda: self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.contact_code(application_id)),
                UpdateExpression="SET attempts = :next",
                ConditionExpression="attempts = :seen",
                ExpressionAttributeValues=to_item({":seen": attempts_seen, ":next": attempts_seen + 1}),
            )
        )

    def delete_code(self, application_id: str, code_hash: str) -> bool:
        return self._conditional(
            lambda: self._ddb.delete_item(
                TableName=self._table,
                Key=to_item(keys.contact_code(application_id)),
                ConditionExpression="code_hash = :h",
                ExpressionAttributeValues=to_item({":h": code_hash}),
            )
        )

    @staticmethod
    def _conditional(write: Callable[[], object]) -> bool:
        """Run a conditional write; False when its condition did not hold."""
        try:
            write()
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED_ERROR:
                return False
            raise_transient(error)
            raise
        return True
