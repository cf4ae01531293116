"""Profile change requests in the applications table: `CHANGE#<id>` / `META`, found by owner
(gsi1 `CHANGEOWNER#<sub>`) and by status for the operators' queue (gsi2 `CHANGES#<status>`,
oldest first). The version attribute guards every update, as for applications."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb.applications import _from_item, _raise_transient, _to_item, query_page
from shared.core.clients import client
from shared.core.errors import ConcurrentUpdate
from shared.profile.changes import ChangeRequest


def _key(request_id: str) -> dict[str, str]:
    return {"pk": f"CHANGE#{request_id}", "sk": "META"}


def _attrs(request: ChangeRequest) -> dict[str, Any]:
    data = request.model_dump(mode="json")
    order = f"{data['created_at']}#{request.request_id}"
    data.update(
        {
            **_key(request.request_id),
            "entity": "change_request",
            "gsi1pk": f"CHANGEOWNER#{request.owner_sub}",
            "gsi1sk": order,
            "gsi2pk": f"CHANGES#{request.status.value}",
            "gsi2sk": order,
        }
    )
    return data


class DynamoChangeRequests:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def create(self, request: ChangeRequest) -> None:
        self._ddb.put_item(
            TableName=self._table, Item=_to_item(_attrs(request)), ConditionExpression="attribute_not_exists(pk)"
        )

    def get(self, request_id: str) -> ChangeRequest | None:
        try:
            item = self._ddb.get_item(TableName=self._table, Key=_to_item(_key(request_id)), ConsistentRead=True)
        except ClientError as error:
            _raise_transient(error)
            raise
        found = item.get("Item")
        return ChangeRequest.model_validate(_from_item(found)) if found else None

    def save(self, request: ChangeRequest, expected_version: int) -> None:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=_to_item(_attrs(request)),
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues=_to_item({":expected": expected_version}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(request.request_id) from None
            _raise_transient(error)
            raise

    def _query(
        self, index: str, value: str, limit: int, next_token: str | None, newest_first: bool
    ) -> tuple[list[ChangeRequest], str | None]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": f"{index}pk"},
            "ExpressionAttributeValues": _to_item({":v": value}),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        items, token = query_page(self._ddb, params, next_token, owner=(f"{index}pk", value))
        return [ChangeRequest.model_validate(i) for i in items], token

    def list_by_owner(
        self, owner_sub: str, limit: int, next_token: str | None
    ) -> tuple[list[ChangeRequest], str | None]:
        return self._query("gsi1", f"CHANGEOWNER#{owner_sub}", limit, next_token, newest_first=True)

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> tuple[list[ChangeRequest], str | None]:
        return self._query("gsi2", f"CHANGES#{status}", limit, next_token, newest_first=False)
