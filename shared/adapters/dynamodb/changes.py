"""Profile change requests in the one table (keys.py: `CHANGE#<id>` / `META`), found by owner
(`CHANGEOWNER#<sub>`) and by status for the operators' queue (`CHANGES#<status>`, oldest first).
The version attribute guards every update, as for applications."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import (
    CONDITION_FAILED_ERROR,
    DynamoStore,
    error_code,
    query_page,
    raise_transient,
    to_item,
)
from shared.core.errors import ConcurrentUpdate
from shared.core.paging import Page
from shared.profile.changes import ChangeRequest


def _attrs(request: ChangeRequest) -> dict[str, Any]:
    data = request.model_dump(mode="json")
    order = f"{data['created_at']}#{request.request_id}"
    data.update(
        {
            **keys.change_request(request.request_id),
            keys.ENTITY: "change_request",
            keys.BY_OWNER.pk: keys.change_owner(request.owner_sub),
            keys.BY_OWNER.sk: order,
            keys.BY_STATUS.pk: keys.changes_in(request.status.value),
            keys.BY_STATUS.sk: order,
        }
    )
    return data


class DynamoChangeRequests(DynamoStore):
    def create(self, request: ChangeRequest) -> None:
        self._ddb.put_item(
            TableName=self._table, Item=to_item(_attrs(request)), ConditionExpression=f"attribute_not_exists({keys.PK})"
        )

    def get(self, request_id: str) -> ChangeRequest | None:
        found = self._get(keys.change_request(request_id))
        return ChangeRequest.model_validate(found) if found else None

    def save(self, request: ChangeRequest, expected_version: int) -> None:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item(_attrs(request)),
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues=to_item({":expected": expected_version}),
            )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED_ERROR:
                raise ConcurrentUpdate(request.request_id) from None
            raise_transient(error)
            raise

    def _query(
        self, index: keys.Index, value: str, limit: int, next_token: str | None, newest_first: bool
    ) -> Page[ChangeRequest]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": index.pk},
            "ExpressionAttributeValues": to_item({":v": value}),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        items, token = query_page(self._ddb, params, next_token, owner=(index.pk, value))
        return Page(items=[ChangeRequest.model_validate(i) for i in items], next_token=token)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        return self._query(keys.BY_OWNER, keys.change_owner(owner_sub), limit, next_token, newest_first=True)

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        return self._query(keys.BY_STATUS, keys.changes_in(status), limit, next_token, newest_first=False)
