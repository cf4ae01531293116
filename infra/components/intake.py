"""The partner intake queue and its dead-letter queue, both encrypted with the data key."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVES = 3


class Intake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, partner_accounts: list[str]) -> None:
        super().__init__(scope, construct_id)
        self.dlq = sqs.Queue(
            self,
            "IntakeDlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.queue = sqs.Queue(
            self,
            "IntakeQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(180),  # 6x the intake function's timeout
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dlq),
        )
        if partner_accounts:
            partners = [iam.AccountPrincipal(account) for account in partner_accounts]
            self.queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PartnersSend",
                    principals=partners,
                    actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                    resources=[self.queue.queue_arn],
                )
            )
            for partner in partners:
                key.grant(partner, "kms:GenerateDataKey", "kms:Decrypt")
