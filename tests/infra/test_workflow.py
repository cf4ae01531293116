"""The state machine: the ASL file inline with its substitutions, logged and traced."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.conftest import ROOT
from tests.infra.template_tools import Template, function, of_type, one, ref_id

pytestmark = pytest.mark.xdist_group("infra")

ASL = ROOT / "infra" / "statemachine" / "onboarding.asl.json"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
REQUIRED_SUBSTITUTIONS = {  # architecture.md: substitution -> construct id
    "VerifyInnFunctionArn": "VerifyInnFunction",
    "ActivateCabinetFunctionArn": "ActivateCabinetFunction",
    "RecordFailureFunctionArn": "RecordFailureFunction",
}


@pytest.fixture(scope="module")
def machine(template: Template) -> dict[str, Any]:
    return dict(one(template, "AWS::StepFunctions::StateMachine")[1]["Properties"])


def test_definition_is_the_asl_file_inline(machine: dict[str, Any]) -> None:
    assert "DefinitionS3Location" not in machine, "from_file makes an S3 asset the local cloud cannot read"
    assert json.loads(machine["DefinitionString"]) == json.loads(ASL.read_text())


def test_every_placeholder_has_a_substitution_to_its_function(template: Template, machine: dict[str, Any]) -> None:
    placeholders = set(PLACEHOLDER.findall(ASL.read_text()))
    substitutions = machine["DefinitionSubstitutions"]
    assert set(REQUIRED_SUBSTITUTIONS) <= placeholders
    assert set(substitutions) == placeholders
    for key, construct_id in REQUIRED_SUBSTITUTIONS.items():
        logical, _ = function(template, construct_id)
        assert substitutions[key] == {"Fn::GetAtt": [logical, "Arn"]}, key
    functions = of_type(template, "AWS::Lambda::Function")
    assert all(ref_id(value) in functions for value in substitutions.values())


def test_standard_type_traced_and_logged(template: Template, machine: dict[str, Any]) -> None:
    assert machine["StateMachineType"] == "STANDARD"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    logging = machine["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False, "execution data holds the applicant's data"
    (destination,) = logging["Destinations"]
    log_group = ref_id(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
    assert template["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"


def test_asl_stays_within_what_the_local_engine_runs() -> None:
    definition = json.loads(ASL.read_text())
    assert definition.get("QueryLanguage", "JSONPath") == "JSONPath"
    for name, state in definition["States"].items():
        assert "Assign" not in state and state.get("QueryLanguage", "JSONPath") == "JSONPath", name


def test_every_task_but_the_recorder_catches_into_record_failure() -> None:
    states = json.loads(ASL.read_text())["States"]
    for name, state in states.items():
        if state["Type"] != "Task" or name == "RecordFailure":
            continue
        catch_all = [c for c in state.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]]
        assert catch_all and catch_all[-1]["Next"] == "RecordFailure", name
    assert states["RecordFailure"]["Next"] == "WorkflowFailed"
    assert states["WorkflowFailed"] == {**states["WorkflowFailed"], "Type": "Fail", "Error": "WorkflowFailed"}


def test_fns_faults_are_retried_for_minutes_before_a_person_is_asked() -> None:
    """Every task that calls the FNS retries its transient faults 10 times, waits growing to a minute
    with full jitter (at most about 5 minutes in all): a short outage never reaches the review queue,
    and at 30% random faults a task runs out with probability 0.3¹¹ ≈ 2·10⁻⁶ (the FNS faults suite)."""
    states = json.loads(ASL.read_text())["States"]
    fns_tasks = {"LookupInnSubmit", "LookupInnPoll", "VerifyInn"}
    for name in fns_tasks:
        (policy,) = [r for r in states[name]["Retry"] if "FnsUnavailable" in r["ErrorEquals"]]
        assert policy == {
            "ErrorEquals": ["FnsUnavailable"],
            "IntervalSeconds": 1,
            "BackoffRate": 2,
            "MaxAttempts": 10,
            "MaxDelaySeconds": 60,
            "JitterStrategy": "FULL",
        }
        worst = sum(min(policy["IntervalSeconds"] * 2**n, policy["MaxDelaySeconds"]) for n in range(10))
        assert 240 <= worst <= 330
    others = {n for n, s in states.items() if any("FnsUnavailable" in r["ErrorEquals"] for r in s.get("Retry", []))}
    assert others == fns_tasks
