"""What every DynamoDB store shares: the client, item (de)serialisation, error translation,
all-or-nothing transactions and paging with opaque tokens.

Public on purpose: each store module builds on it, and nothing here knows a key format
(those are in keys.py).
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.core.clients import client
from shared.core.errors import InvalidPageToken, TransientStorageError

TRANSIENT_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "TransactionConflictException",
        "ServiceUnavailable",
    }
)
CONDITION_FAILED = "ConditionalCheckFailed"  # a transaction's cancellation reason
CONDITION_FAILED_ERROR = "ConditionalCheckFailedException"  # a single write's error code


def to_item(attrs: dict[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB's typed form; None attributes are left out."""
    from boto3.dynamodb.types import TypeSerializer

    ser = TypeSerializer()
    return {k: ser.serialize(v) for k, v in attrs.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    de = TypeDeserializer()
    return {k: plain(de.deserialize(v)) for k, v in item.items()}


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models hold ints (or floats for sums)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def raise_transient(error: ClientError) -> None:
    """Turn a throttle or service fault into TransientStorageError (the callers retry); else return."""
    if error_code(error) in TRANSIENT_ERRORS:
        raise TransientStorageError(error_code(error)) from error


def cancel_reasons(error: ClientError) -> list[str]:
    """One reason code per item of a cancelled transaction (`None` for the items that were fine)."""
    reasons = error.response.get("CancellationReasons") or []
    if not reasons:  # older botocore / moto put them only in the message
        message = error.response.get("Error", {}).get("Message", "")
        if "[" in message:
            return [r.strip() for r in message[message.index("[") + 1 : message.rindex("]")].split(",")]
    return [str(r.get("Code", "None")) for r in reasons]


def transaction_cancelled(reasons: list[str]) -> TransientStorageError:
    """A cancellation no condition explains (a conflict, a throttle): worth a retry."""
    return TransientStorageError("transaction cancelled: " + ",".join(reasons))


def encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, json.JSONDecodeError):
        raise InvalidPageToken() from None
    if not isinstance(decoded, dict):
        raise InvalidPageToken()
    return decoded


def query_page(
    ddb: Any, params: dict[str, Any], next_token: str | None, owner: tuple[str, str] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query: plain items and the opaque token of the next page.

    `owner` (attribute, value): the token must come from this same list, never from someone
    else's (a token is only base64 of the last key, so a client can craft one).
    """
    params = dict(params)
    if next_token:
        start = decode_token(next_token)
        if owner is not None and start.get(owner[0], {}).get("S") != owner[1]:
            raise InvalidPageToken()
        params["ExclusiveStartKey"] = start
    try:
        response = ddb.query(**params)
    except ClientError as error:
        if error_code(error) == "ValidationException" and next_token:
            raise InvalidPageToken() from None
        raise_transient(error)
        raise
    last = response.get("LastEvaluatedKey")
    return [from_item(i) for i in response.get("Items", [])], (encode_token(last) if last else None)


class DynamoStore:
    """A store over the one table: its name, the shared client, a consistent get and transactions."""

    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = self._ddb.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True)
        except ClientError as error:
            raise_transient(error)
            raise
        item = response.get("Item")
        return from_item(item) if item else None

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Write all items or none; the cancellation reasons (one per item) when cancelled."""
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise_transient(error)
                raise
            return cancel_reasons(error)
        return None

    def _query_all(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a query (a partition known to be small), page after page."""
        params = dict(params)
        out: list[dict[str, Any]] = []
        while True:
            try:
                response = self._ddb.query(**params)
            except ClientError as error:
                raise_transient(error)
                raise
            out += [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return out
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
