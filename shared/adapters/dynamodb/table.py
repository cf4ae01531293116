"""The tables as code: the applications table's key schema, indexes, stream and TTL (from the
names in keys.py) and the idempotency table, in the shape of DynamoDB's CreateTable request.

tests/integration/conftest.py and the bench create their tables from here instead of copying
them; infra/components/storage.py declares the same table for CDK.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb import keys

STREAM_VIEW = "NEW_AND_OLD_IMAGES"  # every committed write, old and new, for the status-event publisher
IDEMPOTENCY_KEY = "id"
IDEMPOTENCY_TTL = "expiration"


def _gsi(index: keys.Index) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": index.pk, "KeyType": "HASH"},
            {"AttributeName": index.sk, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def applications_table(table_name: str, *, stream: bool = True) -> dict[str, Any]:
    """CreateTable arguments of the applications table (on demand; every key a string)."""
    names = [keys.PK, keys.SK] + [name for index in keys.INDEXES for name in (index.pk, index.sk)]
    request: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in names],
        "KeySchema": [
            {"AttributeName": keys.PK, "KeyType": "HASH"},
            {"AttributeName": keys.SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [_gsi(index) for index in keys.INDEXES],
    }
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
    return request


def idempotency_table(table_name: str) -> dict[str, Any]:
    """CreateTable arguments of the idempotency table (Powertools' layout: `id`, TTL `expiration`)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": IDEMPOTENCY_KEY, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": IDEMPOTENCY_KEY, "KeyType": "HASH"}],
    }


def create_tables(ddb: Any, applications: str = "applications", idempotency: str = "idempotency") -> None:
    """Create both tables with a DynamoDB client, and turn on the applications table's TTL."""
    ddb.create_table(**applications_table(applications))
    ddb.update_time_to_live(
        TableName=applications, TimeToLiveSpecification={"Enabled": True, "AttributeName": keys.TTL}
    )
    ddb.create_table(**idempotency_table(idempotency))
    ddb.update_time_to_live(
        TableName=idempotency, TimeToLiveSpecification={"Enabled": True, "AttributeName": IDEMPOTENCY_TTL}
    )
