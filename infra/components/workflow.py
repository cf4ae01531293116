"""The onboarding state machine, from the one ASL file the local cloud also runs, and its task
functions with their rights (each task reads and writes items of the applications table)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.components.encryption import Encryption
from infra.components.nag import acknowledge
from infra.components.service_function import FunctionRuntime, ServiceFunction
from infra.components.storage import Storage

DEFINITION = Path(__file__).resolve().parent.parent / "statemachine" / "onboarding.asl.json"


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: FunctionRuntime,
        storage: Storage,
        encryption: Encryption,
    ) -> None:
        super().__init__(scope, construct_id)
        table = storage.table

        def task(construct_id: str, folder: str) -> ServiceFunction:
            fn = ServiceFunction(
                self,
                construct_id,
                runtime=runtime,
                folder=folder,
                handler=f"functions.{folder}.handler.handler",
                timeout=20,
            )
            fn.grant_items(table, indexes=False)
            return fn

        self.verify_inn = task("VerifyInnFunction", "verify_inn")
        self.verify_inn.grant_keyed_hash(encryption.lookup_key)  # an INN found by passport takes its lock
        self.activate_cabinet = task("ActivateCabinetFunction", "activate_cabinet")
        self.record_failure = task("RecordFailureFunction", "record_failure")
        self.confirm_contact = task("ConfirmContactFunction", "confirm_contact")
        self.confirm_contact.grant_notifications(runtime.settings.email_sender)  # the codes
        self.confirm_contact.grant_keyed_hash(encryption.lookup_key)  # code hashes
        self.review = task("ReviewFunction", "review")
        tasks = (self.verify_inn, self.activate_cabinet, self.record_failure, self.confirm_contact, self.review)
        log_group = logs.LogGroup(
            self, "WorkflowLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        # from_string (not from_file): the definition stays inline in the template with its
        # DefinitionSubstitutions, so the local cloud reads it from the same template.
        self.state_machine = sfn.StateMachine(
            self,
            "OnboardingStateMachine",
            definition_body=sfn.DefinitionBody.from_string(DEFINITION.read_text()),
            definition_substitutions={f"{fn.node.id}Arn": fn.function_arn for fn in tasks},
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            # Execution data holds the application's input: keep it out of the logs (personal data).
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # Invoke the task functions themselves (no versions or aliases: no `:*`).
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn for fn in tasks],
            )
        )
        policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions' log delivery (logs:CreateLogDelivery etc.) and X-Ray APIs take no resource "
            "ARN; CDK adds exactly those for logging and tracing.",
        )
