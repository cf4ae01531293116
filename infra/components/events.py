"""Status events and partner outcomes: the applications table's stream → a publisher → an
encrypted event bus → one rule and one outcome queue per partner (docs/events.md).

Why the stream and not the writers: a status change is one DynamoDB transaction, and the stream
holds every committed write for 24 hours, so a change that is stored is published even if its
writer dies right after; no write can be published without being stored either. The mapping
retries a batch until its records leave the stream (bisecting a failing batch, resuming from the
first refused event), then records the batch's position on the publish-failures queue.

Why a key of its own (`EventsKey`): partners' accounts must decrypt their outcome messages. With
the data key they could decrypt anything encrypted under it given the ciphertext; this key
protects only the bus, the outcome queues and their dead-letter queues, and each partner may
decrypt only through SQS and only messages of its own two queues (encryption context
`aws:sqs:arn`). Queues have fixed names (`<stack>-outcomes-<partner>`) so partners can configure
a stable URL and the key policy can name their ARNs without a reference cycle.

Why no `aws_events_targets.SqsQueue`: for a queue with a customer-managed key it grants
`events.amazonaws.com` SendMessage without a source condition (to avoid a cycle through the key
policy), which would let any account's rule write into a partner's queue. The queue policies here
name the one rule (or the bus) allowed to send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from infra.components.nag import acknowledge
from infra.components.service_function import FunctionRuntime, ServiceFunction
from shared.adapters.dynamodb import keys

# shared/events/status_changed.py: EVENT_SOURCE, DETAIL_TYPE (infra does not import the functions' package)
EVENT_SOURCE = "tax-cabinet.applications"
DETAIL_TYPE = "ApplicationStatusChanged"
PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # also part of an SQS queue name
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
OUTCOME_MAX_RECEIVES = 5
TARGET_RETRY_HOURS = 24  # EventBridge's own maximum, then the undelivered queue


def parse_partners(value: object) -> dict[str, str]:
    """The `partners` context: `"bank-1:111122223333,bank-2:444455556666"` (or that as a mapping)."""
    if isinstance(value, Mapping):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        pairs = []
        for item in str(value or "").split(","):
            if item.strip():
                partner, _, account = item.strip().partition(":")
                pairs.append((partner.strip(), account.strip()))
    partners: dict[str, str] = {}
    for partner, account in pairs:
        if not PARTNER_ID.match(partner) or not ACCOUNT_ID.match(account):
            raise ValueError(f"partners: {partner!r}:{account!r} is not <partner id>:<12-digit account>")
        if partner in partners:
            raise ValueError(f"partners: {partner!r} appears twice")
        partners[partner] = account
    return partners


@jsii.implements(events.IRuleTarget)
class _OutcomeQueueTarget:
    """An SQS target that receives only the event's `detail`, retried for a day, then dead-lettered."""

    def __init__(self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> None:
        self._queue = queue
        self._dlq = dead_letter_queue

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self._queue.queue_arn,
            input=events.RuleTargetInput.from_event_path("$.detail"),
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self._dlq.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=TARGET_RETRY_HOURS * 3600, maximum_retry_attempts=185
            ),
        )


class OutcomeEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, partners: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._prefix = stack.stack_name
        self.partners = dict(partners)
        self.key = kms.Key(
            self,
            "EventsKey",
            description="Tax cabinet: status events, partners' outcome queues (partners decrypt their own)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.undelivered = self._queue("UndeliveredDlq", "events-undelivered")
        acknowledge(
            self.undelivered,
            "AwsSolutions-SQS3",
            "This is the dead-letter queue itself: events the bus or a rule target could not deliver.",
        )
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=f"{self._prefix}-applications",
            description="Tax cabinet: ApplicationStatusChanged for every status change",
            kms_key=self.key,
            dead_letter_queue=self.undelivered,
        )
        self._allow_events_to_send(self.undelivered, self.bus.event_bus_arn, sid="BusDeadLetters")
        self.outcome_queues: dict[str, sqs.Queue] = {}
        self.rules: dict[str, events.Rule] = {}
        for partner_id, account in self.partners.items():
            self._partner(partner_id, account)
        # The stack's outputs (the local cloud's /_local/info reads them): the first partner's
        # queue, and every partner's as a JSON object.
        CfnOutput(stack, "EventBusName", value=self.bus.event_bus_name)
        if self.outcome_queues:
            CfnOutput(stack, "OutcomeQueueUrl", value=next(iter(self.outcome_queues.values())).queue_url)
            CfnOutput(
                stack,
                "OutcomeQueueUrls",
                value=stack.to_json_string({p: q.queue_url for p, q in self.outcome_queues.items()}),
            )
        # EventBridge (bus encryption is granted by events.EventBus) may use the key for the
        # stack's event queues only: the context names the queue SQS encrypts for.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeToTheEventQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"sqs.{Aws.REGION}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:sqs:arn": [
                            self._queue_arn("outcomes-*"),
                            self._queue_arn("events-*"),
                        ]
                    },
                },
            )
        )

    def _queue_name(self, suffix: str) -> str:
        return f"{self._prefix}-{suffix}"

    def _queue_arn(self, suffix: str) -> str:
        return Stack.of(self).format_arn(
            service="sqs", resource=self._queue_name(suffix), arn_format=ArnFormat.NO_RESOURCE_NAME
        )

    def _queue(self, construct_id: str, suffix: str, **props: Any) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            queue_name=self._queue_name(suffix),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            **props,
        )

    def _allow_events_to_send(self, queue: sqs.Queue, source_arn: str, *, sid: str) -> None:
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": source_arn}},
            )
        )

    def _partner(self, partner_id: str, account: str) -> None:
        suffix = f"outcomes-{partner_id}"
        dlq = self._queue(f"OutcomeDlq-{partner_id}", f"{suffix}-dlq")
        queue = self._queue(
            f"OutcomeQueue-{partner_id}",
            suffix,
            visibility_timeout=Duration.seconds(60),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=OUTCOME_MAX_RECEIVES, queue=dlq),
        )
        rule = events.Rule(
            self,
            f"OutcomeRule-{partner_id}",
            event_bus=self.bus,
            description=f"Status changes of the applications partner {partner_id} submitted",
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE], detail_type=[DETAIL_TYPE], detail={"partner_id": [partner_id]}
            ),
            targets=[_OutcomeQueueTarget(queue, self.undelivered)],
        )
        self._allow_events_to_send(queue, rule.rule_arn, sid="ItsRuleSends")
        self._allow_events_to_send(self.undelivered, rule.rule_arn, sid=f"Undelivered{_alnum(partner_id)}")
        reader = iam.AccountPrincipal(account)
        consume = [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        ]
        for q in (queue, dlq):
            q.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PartnerReceives", principals=[reader], actions=consume, resources=[q.queue_arn]
                )
            )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"PartnerReads{_alnum(partner_id)}",
                principals=[reader],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"sqs.{Aws.REGION}.amazonaws.com",
                        "kms:EncryptionContext:aws:sqs:arn": [
                            self._queue_arn(suffix),
                            self._queue_arn(f"{suffix}-dlq"),
                        ],
                    }
                },
            )
        )
        self.outcome_queues[partner_id] = queue
        self.rules[partner_id] = rule

    def publish_from(self, table: dynamodb.Table, runtime: FunctionRuntime) -> ServiceFunction:
        """The publisher: reads the table's stream, puts events on the bus; nothing else."""
        if table.table_stream_arn is None:
            raise ValueError("the applications table needs its stream (NEW_AND_OLD_IMAGES)")
        self.publish_failures = self._queue("PublishFailures", "events-publish-failures")
        acknowledge(
            self.publish_failures,
            "AwsSolutions-SQS3",
            "The stream mapping's on-failure destination (a dead-letter queue itself): positions of "
            "stream batches that could not be published, for an operator to republish.",
        )
        fn = ServiceFunction(
            self,
            "PublishEventsFunction",
            runtime=runtime,
            folder="publish_events",
            handler="functions.publish_events.handler.handler",
            timeout=30,
            values=runtime.values.but(
                event_bus_name=self.bus.event_bus_name, publish_failures_url=self.publish_failures.queue_url
            ),
        )
        stream = table.table_stream_arn
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                resources=[stream],
            )
        )
        fn.add_to_role_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]))
        if table.encryption_key is not None:  # stream records are encrypted with the table's key
            table.encryption_key.grant_decrypt(fn)
        lambda_.EventSourceMapping(
            self,
            "PublishFromStream",
            target=fn,
            event_source_arn=stream,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=100,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            max_record_age=Duration.days(1),  # the stream's retention: retried until then, never dropped earlier
            on_failure=sources.SqsDlq(self.publish_failures),
            filters=[
                lambda_.FilterCriteria.filter(
                    {
                        "eventName": lambda_.FilterRule.or_("INSERT", "MODIFY"),
                        "dynamodb": {"Keys": {keys.SK: {"S": lambda_.FilterRule.is_equal(keys.META)}}},
                    }
                )
            ],
        )
        policy = fn.service_role.node.find_child("DefaultPolicy")
        for action in ("GenerateDataKey*", "ReEncrypt*"):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Action::kms:{action}]",
                "SQS encrypts the publish-failures messages with the events key (GenerateDataKey, "
                "ReEncrypt families); the resource is that key only.",
            )
        return fn


def _alnum(text: str) -> str:
    return "".join(c for c in text.title() if c.isalnum())
