"""The whole service as one stack: each concern's construct makes its functions and grants their rights."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aspects, CfnOutput
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.components.api import Api
from infra.components.applications import Applications
from infra.components.documents import Documents
from infra.components.encryption import Encryption, EncryptLogGroups
from infra.components.events import OutcomeEvents
from infra.components.intake import Intake
from infra.components.logical_ids import KeepsLogicalIds
from infra.components.monitoring import Monitoring, dead_letter_queues, service_functions
from infra.components.profile import Profile
from infra.components.service_function import FunctionRuntime, FunctionSettings
from infra.components.storage import Storage
from infra.components.support import Support
from infra.components.workflow import Workflow
from infra.environment import SettingValues

FNS_TIMEOUT_SECONDS = "5"


class TaxCabinetStack(KeepsLogicalIds):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FunctionSettings,
        partner_accounts: list[str],
        partners: Mapping[str, str] | None = None,  # partner id -> AWS account (outcome queues)
        alarm_email: str = "",  # subscribed to the alarm topic when set
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        encryption = Encryption(self, "Encryption")
        Aspects.of(self).add(EncryptLogGroups(encryption.data_key))
        storage = Storage(self, "Storage", key=encryption.data_key)
        intake = Intake(self, "Intake", key=encryption.data_key, partner_accounts=partner_accounts)
        documents = Documents(self, "Documents", key=encryption.data_key)
        runtime = FunctionRuntime(
            self,
            "Functions",
            settings=settings,
            values=SettingValues(  # what a concern alone knows (its queue, its bus, the machine) it adds itself
                table_name=storage.table.table_name,
                idempotency_table_name=storage.idempotency_table.table_name,
                hash_key_id=encryption.lookup_key.key_arn,
                code_ttl_seconds=str(settings.code_ttl_seconds),
                email_sender=settings.email_sender,
                idp_userinfo_url=settings.idp_userinfo_url,
                documents_bucket=documents.bucket.bucket_name,
                fns_base_url=settings.fns_base_url,
                fns_timeout_seconds=FNS_TIMEOUT_SECONDS,
                jwks_url=settings.idp_jwks_url,
                issuer=settings.idp_issuer,
                audience=settings.idp_audience,
            ),
        )
        outcomes = OutcomeEvents(self, "Events", partners=partners or {})
        outcomes.publish_from(storage.table, runtime)
        workflow = Workflow(self, "Workflow", runtime=runtime, storage=storage, encryption=encryption)
        documents.handle_uploads(runtime, storage=storage, workflow=workflow)
        intake.consume_with(runtime, storage=storage, encryption=encryption, workflow=workflow)
        applications = Applications(
            self,
            "Applications",
            runtime=runtime,
            storage=storage,
            encryption=encryption,
            documents=documents,
            workflow=workflow,
        )
        profile = Profile(self, "Profile", runtime=runtime, storage=storage, documents=documents)
        support = Support(self, "Support", runtime=runtime, storage=storage, encryption=encryption, documents=documents)
        ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(settings.email_sender))
        api = Api(
            self,
            "Api",
            runtime=runtime,
            applications_function=applications.function,
            profile_function=profile.function,
            support_function=support.api_function,
        )
        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "IntakeQueueUrl", value=intake.queue.queue_url)
        CfnOutput(self, "IntakeDlqUrl", value=intake.dlq.queue_url)
        CfnOutput(self, "TableName", value=storage.table.table_name)
        CfnOutput(self, "StateMachineArn", value=workflow.state_machine.state_machine_arn)
        Monitoring(
            self,
            "Monitoring",
            functions=service_functions(self),
            state_machine=workflow.state_machine,
            dead_letter_queues=dead_letter_queues(intake, outcomes),
            api=api.rest_api,
            alarm_email=alarm_email,
        )
