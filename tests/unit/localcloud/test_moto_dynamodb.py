"""moto's DynamoDB under concurrent requests, once localcloud.moto_dynamodb is installed: a
cancelled transaction rolls back its own writes only, concurrent writers lose nothing, and a
transaction's cost does not grow with the table."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import moto_dynamodb, streams


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for owner, name, value in streams.patches():  # the local cloud's order: streams first, then this
        monkeypatch.setattr(owner, name, value)
    for owner, name, value in moto_dynamodb.patches():
        monkeypatch.setattr(owner, name, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _item(pk: str, **attrs: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "META"}, **{k: {"S": v} for k, v in attrs.items()}}


def _fill(ddb: Any, count: int, prefix: str = "FILL") -> None:
    for n in range(count):
        ddb.put_item(TableName="t", Item=_item(f"{prefix}#{n}", **{f"a{i}": "x" * 20 for i in range(20)}))


def _new(item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def _get(ddb: Any, pk: str) -> dict[str, Any] | None:
    return ddb.get_item(TableName="t", Key={"pk": {"S": pk}, "sk": {"S": "META"}}).get("Item")


def test_a_cancelled_transaction_rolls_back_its_own_writes_only(ddb: Any) -> None:
    ddb.put_item(TableName="t", Item=_item("A", status="in_progress", version="1"))
    ddb.put_item(TableName="t", Item=_item("C", status="ready"))
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "A"}, "sk": {"S": "META"}},
                        "UpdateExpression": "SET #s = :s, version = :v",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":s": {"S": "rejected"}, ":v": {"S": "2"}},
                    }
                },
                _new(_item("B")),
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "C"}, "sk": {"S": "META"}},
                        "ConditionExpression": "#s = :s",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":s": {"S": "in_progress"}},
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _get(ddb, "A") == _item("A", status="in_progress", version="1")
    assert _get(ddb, "B") is None
    assert _get(ddb, "C") == _item("C", status="ready")
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": _item("B"), "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
    )
    assert _get(ddb, "B") == _item("B")


def test_concurrent_writers_lose_nothing_to_a_rollback(ddb: Any) -> None:
    _fill(ddb, 300)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for n in range(40):
                ddb.put_item(TableName="t", Item=_item(f"{name}#{n}"))
        except BaseException as error:
            errors.append(error)

    def transactions(name: str) -> None:
        try:
            for n in range(40):
                key = f"{name}#{n // 2}"  # every second one is cancelled: its key exists
                try:
                    ddb.transact_write_items(
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": "t",
                                    "Item": _item(key),
                                    "ConditionExpression": "attribute_not_exists(pk)",
                                }
                            }
                        ]
                    )
                except ClientError as error:
                    assert error.response["Error"]["Code"] == "TransactionCanceledException"
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"W{i}",)) for i in range(2)]
    threads += [threading.Thread(target=transactions, args=(f"T{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    keys = {i["pk"]["S"] for i in ddb.scan(TableName="t", ConsistentRead=True)["Items"]}
    assert {f"W{i}#{n}" for i in range(2) for n in range(40)} <= keys
    assert {f"T{i}#{n}" for i in range(3) for n in range(20)} <= keys


def test_a_transaction_costs_the_same_on_a_large_table(ddb: Any) -> None:
    def per_transaction(label: str) -> float:
        started = time.perf_counter()
        for n in range(10):
            ddb.transact_write_items(
                TransactItems=[{"Put": {"TableName": "t", "Item": _item(f"{label}#{n}")}}],
            )
        return (time.perf_counter() - started) / 10

    _fill(ddb, 50)
    small = per_transaction("small")
    _fill(ddb, 2000, prefix="MORE")
    large = per_transaction("large")
    # unpatched: about 0.2 ms per item copied, 0.4 s here (40x the small table's)
    assert large < max(5 * small, 0.05), (small, large)
