"""The deployed tables are the tables in code: the CDK template's applications and idempotency
tables match shared/adapters/dynamodb/table.py (built from keys.py), which the integration tests,
the bench and the local stores create. A change on one side only fails here."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb import keys, table
from tests.infra.template_tools import Template, of_type


def _table_with_key(template: Template, hash_key: str) -> dict[str, Any]:
    """The one table whose partition key is `hash_key` (not found by construct id: infra may rename)."""
    found = [
        resource["Properties"]
        for resource in of_type(template, "AWS::DynamoDB::Table").values()
        if {"AttributeName": hash_key, "KeyType": "HASH"} in resource["Properties"]["KeySchema"]
    ]
    assert len(found) == 1, f"{len(found)} tables keyed by {hash_key}"
    return found[0]


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in indexes}


def _attributes(definitions: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(d["AttributeName"], d["AttributeType"]) for d in definitions}


def test_the_applications_table_is_the_one_in_code(template: Template) -> None:
    deployed = _table_with_key(template, keys.PK)
    in_code = table.applications_table("applications")
    assert deployed["KeySchema"] == in_code["KeySchema"]
    assert _indexes(deployed["GlobalSecondaryIndexes"]) == _indexes(in_code["GlobalSecondaryIndexes"])
    assert _attributes(deployed["AttributeDefinitions"]) == _attributes(in_code["AttributeDefinitions"])
    assert deployed["StreamSpecification"] == {"StreamViewType": table.STREAM_VIEW}
    assert deployed["TimeToLiveSpecification"] == {"AttributeName": keys.TTL, "Enabled": True}


def test_the_idempotency_table_is_the_one_in_code(template: Template) -> None:
    deployed = _table_with_key(template, table.IDEMPOTENCY_KEY)
    in_code = table.idempotency_table("idempotency")
    assert deployed["KeySchema"] == in_code["KeySchema"]
    assert deployed["TimeToLiveSpecification"] == {"AttributeName": table.IDEMPOTENCY_TTL, "Enabled": True}
