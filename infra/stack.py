"""The whole service as one stack."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aspects, CfnOutput, Stack
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.components.api import Api
from infra.components.documents import Documents
from infra.components.encryption import Encryption, EncryptLogGroups
from infra.components.events import OutcomeEvents
from infra.components.functions import Functions, FunctionSettings
from infra.components.intake import Intake
from infra.components.monitoring import Monitoring, dead_letter_queues, service_functions
from infra.components.storage import Storage
from infra.components.workflow import Workflow


class TaxCabinetStack(Stack):
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
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        encryption = Encryption(self, "Encryption")
        Aspects.of(self).add(EncryptLogGroups(encryption.data_key))
        storage = Storage(self, "Storage", key=encryption.data_key)
        intake = Intake(self, "Intake", key=encryption.data_key, partner_accounts=partner_accounts)
        documents = Documents(self, "Documents", key=encryption.data_key)
        functions = Functions(
            self,
            "Functions",
            settings=settings,
            encryption=encryption,
            documents=documents,
            storage=storage,
            intake=intake,
        )
        outcomes = OutcomeEvents(self, "Events", partners=partners or {})
        outcomes.publish_from(storage.table, functions)
        workflow = Workflow(
            self,
            "Workflow",
            verify_inn=functions.verify_inn,
            activate_cabinet=functions.activate_cabinet,
            record_failure=functions.record_failure,
            confirm_contact=functions.confirm_contact,
            review=functions.review,
        )
        workflow.state_machine.grant_task_response(functions.document_uploaded)
        workflow.state_machine.grant_task_response(functions.applications_api)
        ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(settings.email_sender))
        for fn in (functions.applications_api, functions.partner_intake):
            fn.add_environment("STATE_MACHINE_ARN", workflow.state_machine.state_machine_arn)
            workflow.state_machine.grant_start_execution(fn)
        api = Api(
            self,
            "Api",
            authorizer_function=functions.authorizer,
            applications_function=functions.applications_api,
            profile_function=functions.profile_api,
            support_function=functions.support_api,
        )
        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "IntakeQueueUrl", value=intake.queue.queue_url)
        CfnOutput(self, "IntakeDlqUrl", value=intake.dlq.queue_url)
        CfnOutput(self, "TableName", value=storage.table.table_name)
        CfnOutput(self, "StateMachineArn", value=workflow.state_machine.state_machine_arn)
        Monitoring(
            self,
            "Monitoring",
            functions=service_functions(functions),
            state_machine=workflow.state_machine,
            dead_letter_queues=dead_letter_queues(intake, outcomes),
            api=api.rest_api,
            alarm_email=alarm_email,
        )
