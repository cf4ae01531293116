"""The onboarding state machine, from the one ASL file the local cloud also runs."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.components.nag import acknowledge

DEFINITION = Path(__file__).resolve().parent.parent / "statemachine" / "onboarding.asl.json"


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        verify_inn: lambda_.IFunction,
        activate_cabinet: lambda_.IFunction,
        record_failure: lambda_.IFunction,
        confirm_contact: lambda_.IFunction,
        review: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self, "WorkflowLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        # from_string (not from_file): the definition stays inline in the template with its
        # DefinitionSubstitutions, so the local cloud reads it from the same template.
        self.state_machine = sfn.StateMachine(
            self,
            "OnboardingStateMachine",
            definition_body=sfn.DefinitionBody.from_string(DEFINITION.read_text()),
            definition_substitutions={
                "VerifyInnFunctionArn": verify_inn.function_arn,
                "ActivateCabinetFunctionArn": activate_cabinet.function_arn,
                "RecordFailureFunctionArn": record_failure.function_arn,
                "ConfirmContactFunctionArn": confirm_contact.function_arn,
                "ReviewFunctionArn": review.function_arn,
            },
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            # Execution data holds the application's input: keep it out of the logs (personal data).
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # Invoke the three task functions themselves (no versions or aliases: no `:*`).
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    fn.function_arn for fn in (verify_inn, activate_cabinet, record_failure, confirm_contact, review)
                ],
            )
        )
        policy = self.state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions' log delivery (logs:CreateLogDelivery etc.) and X-Ray APIs take no resource "
            "ARN; CDK adds exactly those for logging and tracing.",
        )
