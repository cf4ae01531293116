"""`ServiceFunction`: every Lambda function of the service is made here, the same way.

Each has its own role (its own log group and X-Ray only, until its concern grants more), its own
log group (three months, encrypted by the stack's `EncryptLogGroups`), the dependencies layer,
its code folder (infra/packaging.py), Python on ARM with active tracing, and an environment of
Powertools' settings plus the variables of the settings classes it reads (infra/environment.py).
The grant helpers below are the kinds of rights several functions need; each concern's construct
grants its own functions' rights next to where it makes them, so one place shows all of a
function's rights (docs/architecture.md's least-privilege table).

A function's role and log group are its siblings (`<id>Role`, `<id>Logs`), and all three keep
the logical ids they had when every function lived in one `Functions` construct (logical_ids.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.components.logical_ids import keep_logical_ids, path_in_stack
from infra.components.nag import acknowledge
from infra.environment import SettingValues, environment
from infra.packaging import function_asset, layer_asset

RUNTIME = lambda_.Runtime.PYTHON_3_14  # keep in step with scripts/build_layer.py
ARCHITECTURE = lambda_.Architecture.ARM_64
BASE_ENVIRONMENT = {  # read by Powertools (and shared/core/metrics.py), not by a settings class
    "POWERTOOLS_SERVICE_NAME": "tax-cabinet",
    "POWERTOOLS_METRICS_NAMESPACE": "TaxCabinet",
    "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    "LOG_LEVEL": "INFO",
}
ITEM_ACTIONS = (  # transactions need Put/Delete/ConditionCheck
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)


@dataclass(frozen=True)
class FunctionSettings:
    """The deployment's context (infra/app.py) the functions' environment takes values from."""

    idp_jwks_url: str
    idp_issuer: str
    idp_audience: str
    idp_userinfo_url: str
    fns_base_url: str
    email_sender: str
    code_ttl_seconds: int
    # PEM file of the CAs whose certificates may sign XML applications; empty: the channel is closed
    signed_xml_trust_store: str = ""


class FunctionRuntime(Construct):
    """What every function shares: the dependencies layer and the stack-wide setting values.

    Its construct id is `Functions`, the construct that made every function before: the layer
    keeps its path, and the functions (made in their concerns) its logical ids."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: FunctionSettings, values: SettingValues
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.values = values
        self.layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(layer_asset()),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Runtime dependencies (pinned in uv.lock) for the tax cabinet functions",
        )

    def keep_former_ids(self, construct: Construct) -> None:
        """`construct` keeps the logical ids it had when every function lived in this construct."""
        keep_logical_ids(construct, [*path_in_stack(self), construct.node.id])


class ServiceFunction(lambda_.Function):
    """One of the service's functions; its settings come from infra/environment.py by construct id."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: FunctionRuntime,
        folder: str,
        handler: str,
        timeout: int,
        values: SettingValues | None = None,
        extra_files: dict[str, Path] | None = None,
    ) -> None:
        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{construct_id}: its own log group, and only the grants its concern adds",
        )
        log_group.grant_write(role)
        super().__init__(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(function_asset(folder, extra_files)),
            layers=[runtime.layer],
            role=role,
            log_group=log_group,
            memory_size=512,
            timeout=Duration.seconds(timeout),
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                **BASE_ENVIRONMENT,
                **environment(construct_id, values or runtime.values),
            },
        )
        self.service_role = role
        for construct in (self, role, log_group):
            runtime.keep_former_ids(construct)
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords take no resource ARN (active tracing).",
            )

    @property
    def _policy(self) -> Construct:
        return self.service_role.node.find_child("DefaultPolicy")  # type: ignore[return-value]

    def grant_items(self, table: dynamodb.Table, *, indexes: bool) -> None:
        """Item reads and writes on the table; queries on its indexes only for a function that lists."""
        self.add_to_role_policy(iam.PolicyStatement(actions=list(ITEM_ACTIONS), resources=[table.table_arn]))
        if indexes:
            self.add_to_role_policy(
                iam.PolicyStatement(actions=["dynamodb:Query"], resources=[f"{table.table_arn}/index/*"])
            )
        if table.encryption_key is not None:
            table.encryption_key.grant_encrypt_decrypt(self)
        for action in ("GenerateDataKey*", "ReEncrypt*"):
            acknowledge(
                self._policy,
                f"AwsSolutions-IAM5[Action::kms:{action}]",
                "The action families DynamoDB and SQS use on the caller's behalf with the one data key "
                "(GenerateDataKey/WithoutPlaintext, ReEncryptFrom/To); the resource is that key only.",
            )
        if indexes:
            table_id = Stack.of(self).get_logical_id(table.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                self._policy,
                f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
                "Query on the applications table's own indexes (by owner, by status, by INN hash).",
            )

    def grant_journal(self, table: dynamodb.Table) -> None:
        """The access journal: entries written in batches."""
        self.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:BatchWriteItem"], resources=[table.table_arn]))

    def grant_keyed_hash(self, key: kms.IKey) -> None:
        """Keyed hashes (HMAC) of INNs and codes, with the lookup key."""
        key.grant(self, "kms:GenerateMac")

    def grant_objects(self, bucket: s3.IBucket, prefix: str, reason: str) -> None:
        """Reads and writes (presigned, signed with this function's rights) of objects under `prefix`."""
        self.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"], resources=[bucket.arn_for_objects(f"{prefix}*")]
            )
        )
        bucket_id = Stack.of(self).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(self._policy, f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]", reason)

    def grant_notifications(self, email_sender: str) -> None:
        """Codes and notices by SMS (SNS direct publish to a phone number) and email (SES, from one identity)."""
        stack = Stack.of(self)
        self.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        domain = email_sender.partition("@")[2]
        self.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=domain),
                    stack.format_arn(service="ses", resource="identity", resource_name=email_sender),
                ],
            )
        )
        acknowledge(
            self._policy,
            "AwsSolutions-IAM5[Resource::*]",
            "SNS publishes an SMS straight to a phone number, which has no ARN (and X-Ray's "
            "PutTraceSegments takes no resource either).",
        )
