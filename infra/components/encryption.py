"""Keys: one customer-managed key for data at rest, one HMAC key for keyed hashes of INNs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.components.nag import acknowledge


class Encryption(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.data_key = kms.Key(
            self,
            "DataKey",
            description="Tax cabinet: applications, queues and idempotency records at rest",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.lookup_key = kms.Key(
            self,
            "LookupHashKey",
            description="Tax cabinet: HMAC for keyed hashes of INNs (lookups without the INN in clear)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.lookup_key,
            "AwsSolutions-KMS5",
            "KMS does not rotate HMAC keys automatically, and a new key would orphan every stored "
            "keyed hash (the one-active-application lock); the key never leaves KMS.",
        )
