"""The partner intake queue and its dead-letter queue, both encrypted with the data key, and the
function that submits the applications partners send there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.service_function import FunctionRuntime, ServiceFunction

if TYPE_CHECKING:
    from infra.components.encryption import Encryption
    from infra.components.storage import Storage
    from infra.components.workflow import Workflow

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

    def consume_with(
        self, runtime: FunctionRuntime, *, storage: Storage, encryption: Encryption, workflow: Workflow
    ) -> ServiceFunction:
        """The intake function: takes the queue's batches, submits each application (which starts its
        workflow) and sends what it refuses to the dead-letter queue with the reason."""
        machine = workflow.state_machine
        fn = ServiceFunction(
            self,
            "PartnerIntakeFunction",
            runtime=runtime,
            folder="submit_application",
            handler="functions.submit_application.intake.handler",
            timeout=30,
            values=runtime.values.but(state_machine_arn=machine.state_machine_arn, intake_dlq_url=self.dlq.queue_url),
        )
        fn.grant_items(storage.table, indexes=True)  # the one-application check by INN hash
        storage.idempotency_table.grant_read_write_data(fn)
        fn.grant_keyed_hash(encryption.lookup_key)
        fn.grant_journal(storage.table)
        machine.grant_start_execution(fn)
        self.dlq.grant_send_messages(fn)
        fn.add_event_source(
            sources.SqsEventSource(
                self.queue, batch_size=10, max_batching_window=Duration.seconds(1), report_batch_item_failures=True
            )
        )
        self.function = fn
        return fn
