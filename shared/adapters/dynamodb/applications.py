"""Applications in the one table (keys.py): ApplicationStore and Claims.

Every write that must not half-happen is one TransactWriteItems: the application with its first
history line, its INN lock and its partner key; a status change with its history line and, on
rejection, the release of the INN lock. The version attribute makes a stale writer lose cleanly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import (
    CONDITION_FAILED,
    CONDITION_FAILED_ERROR,
    DynamoStore,
    error_code,
    query_page,
    raise_transient,
    to_item,
    transaction_cancelled,
)
from shared.applications.models import Application, HistoryEntry, Stage, Status
from shared.applications.ports import REVIEW_QUEUE, Shelf, Transition
from shared.core.errors import ConcurrentUpdate, DuplicateApplication, DuplicatePartnerRequest
from shared.core.paging import Page


def shelf_partition(shelf: Shelf) -> str:
    """The status index partition of a shelf: a status, or the operators' review queue."""
    return keys.REVIEW_QUEUE if shelf == REVIEW_QUEUE else keys.status(str(Status(shelf).value))


def application_attrs(app: Application) -> dict[str, Any]:
    """The item of an application, with its index keys."""
    data = app.model_dump(mode="json")
    data.update(keys.application(app.application_id))
    data[keys.ENTITY] = "application"
    order = f"{data['created_at']}#{app.application_id}"
    if app.owner_sub:
        data[keys.BY_OWNER.pk] = keys.owner(app.owner_sub)
        data[keys.BY_OWNER.sk] = order
    elif app.snils_hash:  # submitted for a citizen (office, partner) who has not signed in yet
        data[keys.BY_OWNER.pk] = keys.claimable(app.snils_hash)
        data[keys.BY_OWNER.sk] = order
    # The operators' review queue shares the status index: waiting for a decision is its own key.
    in_review = app.stage is Stage.REVIEW and app.status is Status.IN_PROGRESS
    data[keys.BY_STATUS.pk] = shelf_partition(REVIEW_QUEUE if in_review else app.status)
    data[keys.BY_STATUS.sk] = f"{data['updated_at']}#{app.application_id}"
    if app.inn_hash:
        data[keys.BY_INN.pk] = keys.inn(app.inn_hash)
        data[keys.BY_INN.sk] = data["created_at"]
    return data


def _history_attrs(application_id: str, version: int, entry: HistoryEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    data.update(keys.key(keys.application_partition(application_id), keys.history_sort(data["at"], version)))
    data[keys.ENTITY] = "history"
    return data


def _lock_attrs(app: Application) -> dict[str, Any]:
    return {
        **keys.inn_lock(app.inn_hash or ""),
        "application_id": app.application_id,
        "owner_sub": app.owner_sub,
        keys.ENTITY: "inn_lock",
    }


class DynamoApplicationStore(DynamoStore):
    """ApplicationStore and Claims: both work on the application items."""

    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        new_item = {"ConditionExpression": f"attribute_not_exists({keys.PK})", "TableName": self._table}
        items: list[dict[str, Any]] = [
            {"Put": {**new_item, "Item": to_item(application_attrs(application))}},
            {"Put": {**new_item, "Item": to_item(_history_attrs(application.application_id, 1, history))}},
        ]
        lock_index = partner_index = -1
        if lock_inn and application.inn_hash:
            lock_index = len(items)
            items.append({"Put": {**new_item, "Item": to_item(_lock_attrs(application))}})
        if application.partner_id and application.request_id:
            partner_index = len(items)
            key = {
                **keys.partner_request(application.partner_id, application.request_id),
                "application_id": application.application_id,
                keys.ENTITY: "partner_request",
            }
            items.append({"Put": {**new_item, "Item": to_item(key)}})
        reasons = self._transact(items)
        if reasons is not None:
            failed = {i for i, code in enumerate(reasons) if code == CONDITION_FAILED}
            if partner_index in failed:
                existing = self.find_by_partner_request(application.partner_id or "", application.request_id or "")
                raise DuplicatePartnerRequest(existing or "") from None
            if lock_index in failed:
                raise self._duplicate(application.inn_hash or "") from None
            raise transaction_cancelled(reasons)

    def _duplicate(self, inn_hash: str) -> DuplicateApplication:
        lock_item = self._get(keys.inn_lock(inn_hash))
        return DuplicateApplication(
            str(lock_item.get("application_id", "")) if lock_item else "",
            lock_item.get("owner_sub") if lock_item else None,
        )

    def get(self, application_id: str) -> Application | None:
        data = self._get(keys.application(application_id))
        return Application.model_validate(data) if data else None

    def history(self, application_id: str) -> list[HistoryEntry]:
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": f"{keys.PK} = :pk AND begins_with({keys.SK}, :h)",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.application_partition(application_id), ":h": keys.HISTORY}
                ),
                "ConsistentRead": True,
            }
        )
        return [HistoryEntry.model_validate(i) for i in items]

    def transition(self, change: Transition) -> None:
        app = change.application
        new = {"TableName": self._table, "ConditionExpression": f"attribute_not_exists({keys.PK})"}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(application_attrs(app)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": change.expected_version}),
                }
            },
            {"Put": {**new, "Item": to_item(_history_attrs(app.application_id, app.version, change.history))}},
        ]
        lock_index = -1
        if change.acquire_inn and app.inn_hash:
            lock_index = len(items)
            items.append({"Put": {**new, "Item": to_item(_lock_attrs(app))}})
        if change.release_inn and app.inn_hash:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item(keys.inn_lock(app.inn_hash)),
                        "ConditionExpression": f"attribute_not_exists({keys.PK}) OR application_id = :id",
                        "ExpressionAttributeValues": to_item({":id": app.application_id}),
                    }
                }
            )
        reasons = self._transact(items)
        if reasons is not None:
            if 0 <= lock_index < len(reasons) and reasons[lock_index] == CONDITION_FAILED:
                raise self._duplicate(app.inn_hash or "")
            if CONDITION_FAILED in reasons:
                raise ConcurrentUpdate(app.application_id)
            raise transaction_cancelled(reasons)

    def set_execution(self, application_id: str, execution_arn: str) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key=to_item(keys.application(application_id)),
            UpdateExpression="SET execution_arn = :arn",
            ConditionExpression=f"attribute_exists({keys.PK})",
            ExpressionAttributeValues=to_item({":arn": execution_arn}),
        )

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None:
        item = self._get(keys.partner_request(partner_id, request_id))
        return str(item["application_id"]) if item else None

    def _page(
        self,
        index: keys.Index,
        value: str,
        limit: int,
        next_token: str | None,
        newest_first: bool,
        created_before: str | None = None,
    ) -> Page[Application]:
        values = {":v": value}
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": index.pk},
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if created_before:
            params["FilterExpression"] = "created_at < :cutoff"
            values[":cutoff"] = created_before
        params["ExpressionAttributeValues"] = to_item(values)
        items, token = query_page(self._ddb, params, next_token, owner=(index.pk, value))
        return Page(items=[Application.model_validate(i) for i in items], next_token=token)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Application]:
        return self._page(keys.BY_OWNER, keys.owner(owner_sub), limit, next_token, newest_first=True)

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[Application]:
        return self._page(keys.BY_STATUS, keys.status(status), limit, next_token, newest_first=False)

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page[Application]:
        return self._page(keys.BY_INN, keys.inn(inn_hash), limit, next_token, newest_first=True)

    def list_review_queue(self, limit: int, next_token: str | None) -> Page[Application]:
        return self._page(keys.BY_STATUS, keys.REVIEW_QUEUE, limit, next_token, newest_first=False)

    def list_created_before(
        self, shelf: Shelf, cutoff: datetime, limit: int, next_token: str | None
    ) -> Page[Application]:
        stamp = cutoff.isoformat().replace("+00:00", "Z")
        partition = shelf_partition(shelf)
        return self._page(keys.BY_STATUS, partition, limit, next_token, newest_first=False, created_before=stamp)

    # --- Claims ------------------------------------------------------------------------------------
    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        return self._page(keys.BY_OWNER, keys.claimable(snils_hash), limit, None, newest_first=True).items

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        """Give an unowned application to its citizen; the version bump makes a concurrent
        full-item writer (a workflow step holding the old item) re-read instead of undoing it."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.application(application_id)),
                UpdateExpression=f"SET owner_sub = :sub, {keys.BY_OWNER.pk} = :owner, version = version + :one",
                ConditionExpression="attribute_not_exists(owner_sub) AND snils_hash = :h",
                ExpressionAttributeValues=to_item(
                    {":sub": owner_sub, ":owner": keys.owner(owner_sub), ":one": 1, ":h": snils_hash}
                ),
            )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED_ERROR:
                return False
            raise_transient(error)
            raise
        return True
