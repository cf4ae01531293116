"""Keys: one customer-managed key for data at rest, one HMAC key for keyed hashes of INNs.

The data key also encrypts every log group of the stack (`EncryptLogGroups`): function logs carry
application ids and masked personal data, and with a customer-managed key the key policy, not
only IAM, decides who can ever read them (and revoking the key makes them unreadable).
"""

from __future__ import annotations

import jsii
from aws_cdk import Aws, IAspect, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

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
        # CloudWatch Logs encrypts with the key itself, for this account's log groups only.
        self.data_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
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


@jsii.implements(IAspect)
class EncryptLogGroups:
    """Gives every log group in its scope the data key, so a log group added later (a function,
    the API's access logs, the workflow's) cannot be left on the default encryption."""

    def __init__(self, key: kms.IKey) -> None:
        self._key = key

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, logs.CfnLogGroup) and node.kms_key_id is None:
            node.kms_key_id = self._key.key_arn
