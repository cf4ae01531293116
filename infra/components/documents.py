"""The documents bucket: KMS-encrypted, private, TLS only, expiring, with its access logs; and the
function that records each uploaded document (and resumes the workflow waiting for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from infra.components.nag import acknowledge
from infra.components.service_function import FunctionRuntime, ServiceFunction

if TYPE_CHECKING:
    from infra.components.storage import Storage
    from infra.components.workflow import Workflow

UPLOAD_PREFIXES = ("applications/", "profile/")  # an application's documents, a change request's

DOCUMENT_DAYS = 90  # documents serve a clarification and its review; the decision is in the history


class Documents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging cannot write to a KMS bucket
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(access_logs, "AwsSolutions-S1", "This is the access-log bucket of the documents bucket.")
        self.bucket = s3.Bucket(
            self,
            "DocumentsBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="documents/",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(DOCUMENT_DAYS))],
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=["*"], allowed_headers=["*"])],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def handle_uploads(self, runtime: FunctionRuntime, *, storage: Storage, workflow: Workflow) -> ServiceFunction:
        """The function S3 calls for every new document: it records the document and resumes the
        application's wait for it (built after the workflow, whose task tokens it answers)."""
        fn = ServiceFunction(
            self,
            "DocumentUploadedFunction",
            runtime=runtime,
            folder="documents",
            handler="functions.documents.handler.handler",
            timeout=20,
        )
        fn.grant_items(storage.table, indexes=False)
        workflow.state_machine.grant_task_response(fn)
        for prefix in UPLOAD_PREFIXES:
            self.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(fn), s3.NotificationKeyFilter(prefix=prefix)
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
        self.upload_handler = fn
        return fn
