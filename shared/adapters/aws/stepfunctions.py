"""Starts the onboarding workflow. The execution is named after the application, so a retried
start can never make a second workflow."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from shared.core.clients import client


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str, code_ttl_seconds: int = 600) -> None:
        self._arn = state_machine_arn
        self._code_ttl = code_ttl_seconds

    def start(self, application_id: str, correlation_id: str, *, confirm_contact: bool, has_inn: bool = True) -> str:
        sfn = client("stepfunctions")
        payload = json.dumps(
            {
                "application_id": application_id,
                "correlation_id": correlation_id,
                "confirm_contact": confirm_contact,
                "has_inn": has_inn,
                "code_ttl_seconds": self._code_ttl,
            }
        )
        try:
            response = sfn.start_execution(stateMachineArn=self._arn, name=application_id, input=payload)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            machine = self._arn.split(":stateMachine:", 1)
            return f"{machine[0]}:execution:{machine[1]}:{application_id}"
        return str(response["executionArn"])
