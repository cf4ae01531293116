"""The Lambda functions, each with its own role holding only what it needs (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from infra.components.documents import Documents
from infra.components.encryption import Encryption
from infra.components.intake import Intake
from infra.components.nag import acknowledge
from infra.components.storage import Storage
from infra.packaging import function_asset, layer_asset

TRUST_STORE_FILE = "trust_store.pem"  # at the asset's root, next to shared/
RUNTIME = lambda_.Runtime.PYTHON_3_14  # keep in step with scripts/build_layer.py
ARCHITECTURE = lambda_.Architecture.ARM_64

_BASE_ENV = {
    "POWERTOOLS_SERVICE_NAME": "tax-cabinet",
    "POWERTOOLS_METRICS_NAMESPACE": "TaxCabinet",
    "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    "LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class FunctionSettings:
    idp_jwks_url: str
    idp_issuer: str
    idp_audience: str
    idp_userinfo_url: str
    fns_base_url: str
    email_sender: str
    code_ttl_seconds: int
    # PEM file of the CAs whose certificates may sign XML applications; empty: the channel is closed
    signed_xml_trust_store: str = ""


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FunctionSettings,
        encryption: Encryption,
        documents: Documents,
        storage: Storage,
        intake: Intake,
    ) -> None:
        super().__init__(scope, construct_id)
        self._layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(layer_asset()),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Runtime dependencies (pinned in uv.lock) for the tax cabinet functions",
        )
        self._storage = storage
        table = storage.table.table_name
        submission_env = {
            "TABLE_NAME": table,
            "IDEMPOTENCY_TABLE_NAME": storage.idempotency_table.table_name,
            "HASH_KEY_ID": encryption.lookup_key.key_arn,
            "CODE_TTL_SECONDS": str(settings.code_ttl_seconds),
        }
        contact_env = {
            "TABLE_NAME": table,
            "HASH_KEY_ID": encryption.lookup_key.key_arn,
            "EMAIL_SENDER": settings.email_sender,
            "CODE_TTL_SECONDS": str(settings.code_ttl_seconds),
        }

        self.authorizer = self._function(
            "AuthorizerFunction",
            "authorizer",
            "functions.authorizer.handler.handler",
            {
                "IDP_JWKS_URL": settings.idp_jwks_url,
                "IDP_ISSUER": settings.idp_issuer,
                "IDP_AUDIENCE": settings.idp_audience,
            },
            timeout=10,
        )
        trust_store = (
            {TRUST_STORE_FILE: Path(settings.signed_xml_trust_store)} if settings.signed_xml_trust_store else {}
        )
        self.applications_api = self._function(
            "ApplicationsApiFunction",
            "submit_application",
            "functions.submit_application.handler.handler",
            {
                **submission_env,
                **contact_env,
                "IDP_USERINFO_URL": settings.idp_userinfo_url,
                "DOCUMENTS_BUCKET": documents.bucket.bucket_name,
                **({"SIGNED_XML_TRUST_STORE": TRUST_STORE_FILE} if trust_store else {}),
            },
            timeout=15,
            extra_files=trust_store,
        )
        self.profile_api = self._function(
            "ProfileApiFunction",
            "profile",
            "functions.profile.handler.handler",
            {"TABLE_NAME": table, "DOCUMENTS_BUCKET": documents.bucket.bucket_name},
            timeout=15,
        )
        self.partner_intake = self._function(
            "PartnerIntakeFunction",
            "submit_application",
            "functions.submit_application.intake.handler",
            {**submission_env, "INTAKE_DLQ_URL": intake.dlq.queue_url},
            timeout=30,
        )
        self.verify_inn = self._function(
            "VerifyInnFunction",
            "verify_inn",
            "functions.verify_inn.handler.handler",
            {
                "TABLE_NAME": table,
                "FNS_BASE_URL": settings.fns_base_url,
                "FNS_TIMEOUT_SECONDS": "5",
                "HASH_KEY_ID": encryption.lookup_key.key_arn,  # an INN found by passport takes its lock
            },
            timeout=20,
        )
        self.activate_cabinet = self._function(
            "ActivateCabinetFunction",
            "activate_cabinet",
            "functions.activate_cabinet.handler.handler",
            {"TABLE_NAME": table},
            timeout=20,
        )
        self.confirm_contact = self._function(
            "ConfirmContactFunction",
            "confirm_contact",
            "functions.confirm_contact.handler.handler",
            contact_env,
            timeout=20,
        )
        self.review = self._function(
            "ReviewFunction",
            "review",
            "functions.review.handler.handler",
            {"TABLE_NAME": table, "DOCUMENTS_BUCKET": documents.bucket.bucket_name},
            timeout=20,
        )
        self.document_uploaded = self._function(
            "DocumentUploadedFunction",
            "documents",
            "functions.documents.handler.handler",
            {"TABLE_NAME": table, "DOCUMENTS_BUCKET": documents.bucket.bucket_name},
            timeout=20,
        )
        self.deadline_sweep = self._function(
            "DeadlineSweepFunction",
            "support_ticket",
            "functions.support_ticket.escalation.handler",
            {"TABLE_NAME": table},
            timeout=120,
        )
        self.support_api = self._function(
            "SupportApiFunction",
            "support_ticket",
            "functions.support_ticket.handler.handler",
            {
                "TABLE_NAME": table,
                "HASH_KEY_ID": encryption.lookup_key.key_arn,
                "EMAIL_SENDER": settings.email_sender,
                "DOCUMENTS_BUCKET": documents.bucket.bucket_name,
            },
            timeout=15,
        )
        self.record_failure = self._function(
            "RecordFailureFunction",
            "record_failure",
            "functions.record_failure.handler.handler",
            {"TABLE_NAME": table},
            timeout=20,
        )

        for fn in (self.applications_api, self.partner_intake):
            self._grant_items(fn, with_indexes=True)
            storage.idempotency_table.grant_read_write_data(fn)
            encryption.lookup_key.grant(fn, "kms:GenerateMac")
        for fn in (
            self.verify_inn,
            self.activate_cabinet,
            self.record_failure,
            self.confirm_contact,
            self.review,
            self.document_uploaded,
        ):
            self._grant_items(fn, with_indexes=False)
        self._grant_items(self.deadline_sweep, with_indexes=True)  # the status index finds the stale ones
        self._grant_items(self.profile_api, with_indexes=True)  # a citizen's requests; the operators' queue
        self._grant_items(self.support_api, with_indexes=True)  # a citizen's tickets; the desk by status
        encryption.lookup_key.grant(self.support_api, "kms:GenerateMac")  # the INN of a ticket, as a keyed hash
        for fn in (self.applications_api, self.partner_intake, self.profile_api, self.support_api):  # access journal
            fn.add_to_role_policy(
                iam.PolicyStatement(actions=["dynamodb:BatchWriteItem"], resources=[storage.table.table_arn])
            )
        events.Rule(
            self,
            "DeadlineSweepSchedule",
            description="Hourly: applications not finished in 15 days open a support ticket",
            schedule=events.Schedule.rate(Duration.hours(1)),
            targets=[targets.LambdaFunction(self.deadline_sweep, retry_attempts=2)],
        )
        # presigned uploads and reads of documents are signed with the API function's own rights
        objects = documents.bucket.arn_for_objects("applications/*")
        self.applications_api.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[objects])
        )
        api_policy = self.applications_api.role.node.find_child("DefaultPolicy")  # type: ignore[union-attr]
        bucket_id = Stack.of(self).get_logical_id(documents.bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            api_policy,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/applications/*]",
            "Documents are objects under applications/<id>/<document id>: keys made per upload.",
        )
        profile_objects = documents.bucket.arn_for_objects("profile/*")
        self.profile_api.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[profile_objects])
        )
        acknowledge(
            self.profile_api.role.node.find_child("DefaultPolicy"),  # type: ignore[union-attr]
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/profile/*]",
            "Change-request documents are objects under profile/<request id>/<document id>.",
        )
        support_objects = documents.bucket.arn_for_objects("support/*")
        self.support_api.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[support_objects])
        )
        acknowledge(
            self.support_api.role.node.find_child("DefaultPolicy"),  # type: ignore[union-attr]
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/support/*]",
            "Ticket screenshots are objects under support/<ticket id>/screenshot: keys made per ticket.",
        )
        for prefix in ("applications/", "profile/"):
            documents.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.LambdaDestination(self.document_uploaded),
                s3.NotificationKeyFilter(prefix=prefix),
            )
        handler = Stack.of(self).node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
        if handler is not None:
            acknowledge(
                handler,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "CDK's own bucket-notification handler (a deploy-time custom resource, not a function of "
                "the service) carries AWS's basic execution policy.",
            )
        for fn in (self.applications_api, self.confirm_contact, self.support_api):
            self._grant_notifications(fn, settings.email_sender)
        for fn in (self.confirm_contact, self.verify_inn):
            encryption.lookup_key.grant(fn, "kms:GenerateMac")
        intake.dlq.grant_send_messages(self.partner_intake)
        self.partner_intake.add_event_source(
            sources.SqsEventSource(
                intake.queue,
                batch_size=10,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )

    def _function(
        self,
        construct_id: str,
        folder: str,
        handler: str,
        env: dict[str, str],
        *,
        timeout: int,
        extra_files: dict[str, Path] | None = None,
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{construct_id}Logs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{construct_id}: its own log group, and the grants added below only",
        )
        log_group.grant_write(role)
        fn = lambda_.Function(
            self,
            construct_id,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(function_asset(folder, extra_files)),
            layers=[self._layer],
            role=role,
            log_group=log_group,
            memory_size=512,
            timeout=Duration.seconds(timeout),
            tracing=lambda_.Tracing.ACTIVE,
            environment={**_BASE_ENV, **env},
        )
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords take no resource ARN (active tracing).",
            )
        return fn

    def _grant_notifications(self, fn: lambda_.Function, email_sender: str) -> None:
        """Codes by SMS (SNS direct publish to a phone number) and email (SES, from one identity)."""
        stack = Stack.of(self)
        fn.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        domain = email_sender.partition("@")[2]
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=domain),
                    stack.format_arn(service="ses", resource="identity", resource_name=email_sender),
                ],
            )
        )
        role = fn.role
        assert role is not None
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Resource::*]",
            "SNS publishes an SMS straight to a phone number, which has no ARN (and X-Ray's "
            "PutTraceSegments takes no resource either).",
        )

    def _grant_items(self, fn: lambda_.Function, *, with_indexes: bool) -> None:
        """Item reads and writes on the table (transactions need Put/Delete/ConditionCheck); queries
        on the indexes only for the functions that list applications."""
        table = self._storage.table
        actions = [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ]
        fn.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[table.table_arn]))
        if with_indexes:
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{table.table_arn}/index/*"],
                )
            )
        if table.encryption_key is not None:
            table.encryption_key.grant_encrypt_decrypt(fn)
        role = fn.role
        assert role is not None
        policy = role.node.find_child("DefaultPolicy")
        for action in ("GenerateDataKey*", "ReEncrypt*"):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Action::kms:{action}]",
                "The action families DynamoDB and SQS use on the caller's behalf with the one data key "
                "(GenerateDataKey/WithoutPlaintext, ReEncryptFrom/To); the resource is that key only.",
            )
        if with_indexes:
            table_id = Stack.of(self).get_logical_id(table.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
                "Query on the applications table's own indexes (by owner, by status, by INN hash).",
            )
