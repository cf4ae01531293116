"""The applications table (single-table layout of docs/architecture.md) behind ApplicationRepository.

Every write that must not half-happen is one TransactWriteItems: the application with its first
history line, its INN lock and its partner key; a status change with its history line and, on
rejection, the release of the INN lock. The version attribute makes a stale writer lose cleanly.
"""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.applications.models import Application, HistoryEntry, Stage, Status
from shared.applications.ports import ContactCode, Page, Transition
from shared.core.clients import client
from shared.core.errors import (
    ConcurrentUpdate,
    DuplicateApplication,
    DuplicatePartnerRequest,
    InvalidPageToken,
    TransientStorageError,
)

_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "TransactionConflictException",
    "ServiceUnavailable",
}


def _ser() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _de() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _to_item(attrs: dict[str, Any]) -> dict[str, Any]:
    ser = _ser()
    return {k: ser.serialize(v) for k, v in attrs.items() if v is not None}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    de = _de()
    return {k: _plain(de.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models hold ints."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def app_key(application_id: str) -> dict[str, str]:
    return {"pk": f"APP#{application_id}", "sk": "META"}


def _lock_key(inn_hash: str) -> dict[str, str]:
    return {"pk": f"INNLOCK#{inn_hash}", "sk": "LOCK"}


def _partner_key(partner_id: str, request_id: str) -> dict[str, str]:
    return {"pk": f"PARTNER#{partner_id}#{request_id}", "sk": "REQ"}


def _app_attrs(app: Application) -> dict[str, Any]:
    data = app.model_dump(mode="json")
    data.update(app_key(app.application_id))
    data["entity"] = "application"
    if app.owner_sub:
        data["gsi1pk"] = f"OWNER#{app.owner_sub}"
        data["gsi1sk"] = f"{data['created_at']}#{app.application_id}"
    elif app.snils_hash:  # submitted for a citizen (office, partner) who has not signed in yet
        data["gsi1pk"] = f"CLAIM#{app.snils_hash}"
        data["gsi1sk"] = f"{data['created_at']}#{app.application_id}"
    # The operators' review queue shares the status index: waiting for a decision is its own key.
    in_review = app.stage is Stage.REVIEW and app.status is Status.IN_PROGRESS
    data["gsi2pk"] = "QUEUE#review" if in_review else f"STATUS#{app.status.value}"
    data["gsi2sk"] = f"{data['updated_at']}#{app.application_id}"
    if app.inn_hash:
        data["gsi3pk"] = f"INN#{app.inn_hash}"
        data["gsi3sk"] = data["created_at"]
    return data


def _history_attrs(application_id: str, version: int, entry: HistoryEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    data.update({"pk": f"APP#{application_id}", "sk": f"HIST#{data['at']}#{version:06d}", "entity": "history"})
    return data


def _raise_transient(error: ClientError) -> None:
    if error.response.get("Error", {}).get("Code") in _TRANSIENT:
        raise TransientStorageError(error.response["Error"]["Code"]) from error


def _cancel_reasons(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    if not reasons:  # older botocore / moto put them only in the message
        message = error.response.get("Error", {}).get("Message", "")
        if "[" in message:
            return [r.strip() for r in message[message.index("[") + 1 : message.rindex("]")].split(",")]
    return [str(r.get("Code", "None")) for r in reasons]


class DynamoApplicationRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        new_item = {"ConditionExpression": "attribute_not_exists(pk)", "TableName": self._table}
        items: list[dict[str, Any]] = [
            {"Put": {**new_item, "Item": _to_item(_app_attrs(application))}},
            {"Put": {**new_item, "Item": _to_item(_history_attrs(application.application_id, 1, history))}},
        ]
        lock_index = partner_index = -1
        if lock_inn and application.inn_hash:
            lock_index = len(items)
            lock = {
                **_lock_key(application.inn_hash),
                "application_id": application.application_id,
                "owner_sub": application.owner_sub,
                "entity": "inn_lock",
            }
            items.append({"Put": {**new_item, "Item": _to_item(lock)}})
        if application.partner_id and application.request_id:
            partner_index = len(items)
            key = {
                **_partner_key(application.partner_id, application.request_id),
                "application_id": application.application_id,
                "entity": "partner_request",
            }
            items.append({"Put": {**new_item, "Item": _to_item(key)}})
        reasons = self._transact(items)
        if reasons is not None:
            failed = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            if partner_index in failed:
                existing = self.find_by_partner_request(application.partner_id or "", application.request_id or "")
                raise DuplicatePartnerRequest(existing or "") from None
            if lock_index in failed:
                lock_item = self._get(_lock_key(application.inn_hash or ""))
                raise DuplicateApplication(
                    str(lock_item.get("application_id", "")) if lock_item else "",
                    lock_item.get("owner_sub") if lock_item else None,
                ) from None
            raise TransientStorageError("transaction cancelled: " + ",".join(reasons))

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = self._ddb.get_item(TableName=self._table, Key=_to_item(key), ConsistentRead=True)
        except ClientError as error:
            _raise_transient(error)
            raise
        item = response.get("Item")
        return _from_item(item) if item else None

    def get(self, application_id: str) -> Application | None:
        data = self._get(app_key(application_id))
        return Application.model_validate(data) if data else None

    def history(self, application_id: str) -> list[HistoryEntry]:
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
            ExpressionAttributeValues=_to_item({":pk": f"APP#{application_id}", ":h": "HIST#"}),
            ConsistentRead=True,
        )
        return [HistoryEntry.model_validate(_from_item(i)) for i in response.get("Items", [])]

    def transition(self, change: Transition) -> None:
        app = change.application
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _to_item(_app_attrs(app)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": _to_item({":expected": change.expected_version}),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _to_item(_history_attrs(app.application_id, app.version, change.history)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        lock_index = -1
        if change.acquire_inn and app.inn_hash:
            lock_index = len(items)
            lock = {
                **_lock_key(app.inn_hash),
                "application_id": app.application_id,
                "owner_sub": app.owner_sub,
                "entity": "inn_lock",
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _to_item(lock),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        if change.release_inn and app.inn_hash:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _to_item(_lock_key(app.inn_hash)),
                        "ConditionExpression": "attribute_not_exists(pk) OR application_id = :id",
                        "ExpressionAttributeValues": _to_item({":id": app.application_id}),
                    }
                }
            )
        reasons = self._transact(items)
        if reasons is not None:
            if 0 <= lock_index < len(reasons) and reasons[lock_index] == "ConditionalCheckFailed":
                lock_item = self._get(_lock_key(app.inn_hash or ""))
                raise DuplicateApplication(
                    str(lock_item.get("application_id", "")) if lock_item else "",
                    lock_item.get("owner_sub") if lock_item else None,
                )
            if "ConditionalCheckFailed" in reasons:
                raise ConcurrentUpdate(app.application_id)
            raise TransientStorageError("transaction cancelled: " + ",".join(reasons))

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Write all items or none; the cancellation reasons (one per item) when cancelled."""
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                _raise_transient(error)
                raise
            return _cancel_reasons(error)
        return None

    def set_execution(self, application_id: str, execution_arn: str) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key=_to_item(app_key(application_id)),
            UpdateExpression="SET execution_arn = :arn",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=_to_item({":arn": execution_arn}),
        )

    def put_code(self, application_id: str, code: ContactCode) -> None:
        data = code.model_dump(mode="json")
        data.update(
            pk=f"APP#{application_id}",
            sk="CODE",
            entity="contact_code",
            ttl=int(code.expires_at.timestamp()) + 24 * 3600,
        )
        self._ddb.put_item(TableName=self._table, Item=_to_item(data))

    def get_code(self, application_id: str) -> ContactCode | None:
        data = self._get({"pk": f"APP#{application_id}", "sk": "CODE"})
        return ContactCode.model_validate(data) if data else None

    def count_wrong_try(self, application_id: str, attempts_seen: int) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_to_item({"pk": f"APP#{application_id}", "sk": "CODE"}),
                UpdateExpression="SET attempts = :next",
                ConditionExpression="attempts = :seen",
                ExpressionAttributeValues=_to_item({":seen": attempts_seen, ":next": attempts_seen + 1}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_code(self, application_id: str, code_hash: str) -> bool:
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=_to_item({"pk": f"APP#{application_id}", "sk": "CODE"}),
                ConditionExpression="code_hash = :h",
                ExpressionAttributeValues=_to_item({":h": code_hash}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_document(self, application_id: str, document: dict[str, Any]) -> None:
        item = {**document, "pk": f"APP#{application_id}", "sk": f"DOC#{document['document_id']}", "entity": "document"}
        self._ddb.put_item(TableName=self._table, Item=_to_item(item))

    def get_document(self, application_id: str, document_id: str) -> dict[str, Any] | None:
        return self._get({"pk": f"APP#{application_id}", "sk": f"DOC#{document_id}"})

    def list_documents(self, application_id: str) -> list[dict[str, Any]]:
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
            ExpressionAttributeValues=_to_item({":pk": f"APP#{application_id}", ":d": "DOC#"}),
            ConsistentRead=True,
        )
        return [_from_item(i) for i in response.get("Items", [])]

    def record_stage_time(self, stage: str, seconds: float) -> None:
        from decimal import Decimal

        # A lost sample only blurs an estimate; the status change itself is already stored.
        with contextlib.suppress(ClientError):
            self._ddb.update_item(
                TableName=self._table,
                Key=_to_item({"pk": "STATS#stage_time", "sk": stage}),
                UpdateExpression="ADD samples :one, total_seconds :s",
                ExpressionAttributeValues=_to_item({":one": 1, ":s": Decimal(str(round(max(seconds, 0.0), 3)))}),
            )

    def stage_times(self) -> dict[str, tuple[int, float]]:
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_to_item({":pk": "STATS#stage_time"}),
        )
        out = {}
        for item in response.get("Items", []):
            data = _from_item(item)
            out[str(data["sk"])] = (int(data.get("samples", 0)), float(data.get("total_seconds", 0)))
        return out

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None:
        item = self._get(_partner_key(partner_id, request_id))
        return str(item["application_id"]) if item else None

    def _page(
        self,
        index: str,
        key: str,
        value: str,
        limit: int,
        next_token: str | None,
        newest_first: bool,
        created_before: str | None = None,
    ) -> Page:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": _to_item({":v": value}),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if created_before:
            params["FilterExpression"] = "created_at < :cutoff"
            params["ExpressionAttributeValues"] = _to_item({":v": value, ":cutoff": created_before})
        items, token = query_page(self._ddb, params, next_token, owner=(key, value))
        return Page(items=[Application.model_validate(i) for i in items], next_token=token)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page:
        return self._page("gsi1", "gsi1pk", f"OWNER#{owner_sub}", limit, next_token, newest_first=True)

    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        return self._page("gsi1", "gsi1pk", f"CLAIM#{snils_hash}", limit, None, newest_first=True).items

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        """Give an unowned application to its citizen; the version bump makes a concurrent
        full-item writer (a workflow step holding the old item) re-read instead of undoing it."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_to_item(app_key(application_id)),
                UpdateExpression="SET owner_sub = :sub, gsi1pk = :owner, version = version + :one",
                ConditionExpression="attribute_not_exists(owner_sub) AND snils_hash = :h",
                ExpressionAttributeValues=_to_item(
                    {":sub": owner_sub, ":owner": f"OWNER#{owner_sub}", ":one": 1, ":h": snils_hash}
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            _raise_transient(error)
            raise
        return True

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page:
        return self._page("gsi2", "gsi2pk", f"STATUS#{status}", limit, next_token, newest_first=False)

    def list_created_before(self, partition: str, cutoff: datetime, limit: int, next_token: str | None) -> Page:
        stamp = cutoff.isoformat().replace("+00:00", "Z")
        return self._page("gsi2", "gsi2pk", partition, limit, next_token, newest_first=False, created_before=stamp)

    def list_review_queue(self, limit: int, next_token: str | None) -> Page:
        """Waiting for an operator's decision, oldest first."""
        return self._page("gsi2", "gsi2pk", "QUEUE#review", limit, next_token, newest_first=False)

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page:
        return self._page("gsi3", "gsi3pk", f"INN#{inn_hash}", limit, next_token, newest_first=True)


def query_page(
    ddb: Any, params: dict[str, Any], next_token: str | None, owner: tuple[str, str] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query: plain items and the opaque token of the next page.

    `owner` (attribute, value): the token must come from this same list, never from someone
    else's (a token is only base64 of the last key, so a client can craft one).
    """
    params = dict(params)
    if next_token:
        start = _decode_token(next_token)
        if owner is not None and start.get(owner[0], {}).get("S") != owner[1]:
            raise InvalidPageToken()
        params["ExclusiveStartKey"] = start
    try:
        response = ddb.query(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException" and next_token:
            raise InvalidPageToken() from None
        _raise_transient(error)
        raise
    last = response.get("LastEvaluatedKey")
    return [_from_item(i) for i in response.get("Items", [])], (_encode_token(last) if last else None)


def _encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, json.JSONDecodeError):
        raise InvalidPageToken() from None
    if not isinstance(decoded, dict):
        raise InvalidPageToken()
    return decoded
