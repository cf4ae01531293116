"""The applications table and the idempotency table; key and index names come from the code that
reads them (shared/adapters/dynamodb/keys.py), so the two cannot drift."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from shared.adapters.dynamodb import keys

_S = dynamodb.AttributeType.STRING


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        common: dict[str, Any] = {
            "billing_mode": dynamodb.BillingMode.PAY_PER_REQUEST,
            "encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED,
            "encryption_key": key,
            "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
        }
        # dynamodb.Table, not TableV2: the local cloud (moto) cannot create a GlobalTable.
        self.table = dynamodb.Table(
            self,
            "ApplicationsTable",
            partition_key=dynamodb.Attribute(name=keys.PK, type=_S),
            sort_key=dynamodb.Attribute(name=keys.SK, type=_S),
            deletion_protection=True,
            time_to_live_attribute=keys.TTL,  # transient items (contact codes) expire
            # every committed write, for the status-event publisher (infra/components/events.py)
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            removal_policy=RemovalPolicy.RETAIN,
            **common,
        )
        for index in keys.INDEXES:  # by owner, by status, by INN hash
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.pk, type=_S),
                sort_key=dynamodb.Attribute(name=index.sk, type=_S),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=_S),
            time_to_live_attribute="expiration",
            removal_policy=RemovalPolicy.DESTROY,
            **common,
        )
