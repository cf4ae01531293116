"""The monitoring construct in the template: an alarm topic on a customer-managed key, an alarm on
every dead-letter queue and every function (derived from the template, so a new one without an
alarm fails here), the workflow's failures, the FNS fault rate as metric math, the business
alarms, each alarm linking an existing section of docs/runbook.md, and a dashboard that shows every
metric the code emits. Plus what the local cloud keeps of it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.components import monitoring
from localcloud.template import for_moto
from tests.infra.conftest import ROOT
from tests.infra.template_tools import Template, of_type, one, ref_id, service_functions

pytestmark = pytest.mark.xdist_group("infra")

STACK = "TaxCabinetStack"
RUNBOOK = ROOT / "docs" / "runbook.md"
BUSINESS_METRICS = {  # the code's EMF metrics (shared/core/metrics.py), namespace TaxCabinet
    "ApplicationsSubmitted",
    "ApplicationOutcomes",
    "StageDuration",
    "FnsCalls",
    "ContactCodesSent",
    "ContactCodesFailed",
    "DeadlineBreaches",
    "ComplaintsFiled",
    "TicketsOverdue",
    "ReviewQueueDepth",
    "ReviewQueueOldestSeconds",
    "IntakeDeadLettered",
}
PARTNERS = {"bank-1": "111122223333", "bank-2": "444455556666"}


# --- helpers -----------------------------------------------------------------------------------


def alarms_of(template: Template) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in of_type(template, "AWS::CloudWatch::Alarm").items()}


def metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its own, or those of its metric math."""
    if "MetricName" in alarm:
        return [{k: alarm.get(k) for k in ("Namespace", "MetricName", "Dimensions")}]
    return [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]


def _render(node: Any) -> str:
    """A CloudFormation string expression with every reference as `<LogicalId>` / `<LogicalId.Attr>`."""
    if isinstance(node, str):
        return node
    if "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return str(separator).join(_render(p) for p in parts)
    if "Ref" in node:
        return f"<{node['Ref']}>"
    if "Fn::GetAtt" in node:
        return "<" + ".".join(node["Fn::GetAtt"]) + ">"
    raise AssertionError(f"unexpected {node}")


def dashboard_body(template: Template) -> dict[str, Any]:
    _, dashboard = one(template, "AWS::CloudWatch::Dashboard")
    return dict(json.loads(_render(dashboard["Properties"]["DashboardBody"])))


def graphed(body: dict[str, Any]) -> list[list[Any]]:
    """Every metric row of every graph: [namespace, name, dim, value, ..., {options}] or [{expression}]."""
    return [row for w in body["widgets"] if w["type"] == "metric" for row in w["properties"].get("metrics", [])]


def _row(namespace: str, name: str, stat: str | None = None, **dimensions: str) -> Any:
    def matches(row: list[Any]) -> bool:
        if not isinstance(row[0], str) or row[:2] != [namespace, name]:
            return False
        *pairs, options = row[2:] if isinstance(row[-1], dict) else [*row[2:], {}]
        dims = dict(zip(pairs[::2], pairs[1::2], strict=True))
        return all(dims.get(k) == v for k, v in dimensions.items()) and (stat is None or options.get("stat") == stat)

    return matches


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a document's headings (code fences skipped)."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        heading = re.match(r"^#{1,6}\s+(.+?)\s*#*$", line)
        if heading and not fenced:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            anchor, n = slug, 0
            while anchor in anchors:
                n += 1
                anchor = f"{slug}-{n}"
            anchors.add(anchor)
    return anchors


def dead_letter_queue_ids(template: Template) -> set[str]:
    """Every queue the template uses as a dead-letter queue: a redrive target, an EventBridge bus's
    or target's dead-letter config, a stream mapping's on-failure destination."""
    found: set[str] = set()
    for queue in of_type(template, "AWS::SQS::Queue").values():
        policy = queue["Properties"].get("RedrivePolicy")
        if policy:
            found.add(ref_id(policy["deadLetterTargetArn"]))
    for bus in of_type(template, "AWS::Events::EventBus").values():
        if "DeadLetterConfig" in bus["Properties"]:
            found.add(ref_id(bus["Properties"]["DeadLetterConfig"]["Arn"]))
    for rule in of_type(template, "AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            if "DeadLetterConfig" in target:
                found.add(ref_id(target["DeadLetterConfig"]["Arn"]))
    for mapping in of_type(template, "AWS::Lambda::EventSourceMapping").values():
        destination = mapping["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination:
            found.add(ref_id(destination))
    return found


# --- the contract with the code ----------------------------------------------------------------


def test_the_construct_and_the_code_name_the_same_metrics() -> None:
    from shared.applications.models import Channel, Stage, Status
    from shared.core import metrics

    assert (monitoring.NAMESPACE, monitoring.SERVICE) == (metrics.NAMESPACE, metrics.SERVICE)
    assert set(monitoring.CHANNELS) == {c.value for c in Channel}
    assert set(monitoring.STAGES) == {s.value for s in Stage} - {"completed"}
    assert set(monitoring.OUTCOME_STATUSES) <= {s.value for s in Status}
    emitted = {
        name
        for folder in ("shared", "functions")
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r'\bemit\(\s*"(\w+)"', path.read_text())
    }
    assert emitted <= BUSINESS_METRICS, f"metrics the dashboard does not know: {emitted - BUSINESS_METRICS}"


# --- the topic -----------------------------------------------------------------------------------


def test_the_alarm_topic_is_encrypted_with_a_customer_managed_key_for_our_alarms_only(template: Template) -> None:
    topic_id, topic = one(template, "AWS::SNS::Topic", "AlarmTopic")
    assert topic["Properties"]["TopicName"] == f"{STACK}-alarms"
    key_id = ref_id(topic["Properties"]["KmsMasterKeyId"])
    key = template["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key", "a key of this template, not an AWS-managed alias"
    assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    assert "DataKey" not in key_id, "CloudWatch gets no grant on the key of personal data"
    services = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]
    (cloudwatch,) = services
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert _render(cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(f":alarm:{STACK}-*")

    (policy,) = [
        p for p in of_type(template, "AWS::SNS::TopicPolicy").values() if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "sns:Publish"
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and allow["Action"] == "sns:Publish"
    assert allow["Condition"] == cloudwatch["Condition"]
    assert not of_type(template, "AWS::SNS::Subscription"), "alarm_email is empty by default"


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(template: Template) -> None:
    topic_id, _ = one(template, "AWS::SNS::Topic", "AlarmTopic")
    alarms = alarms_of(template)
    assert len(alarms) >= 20
    for logical_id, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], logical_id
        assert alarm["OKActions"] == [{"Ref": topic_id}], logical_id
        assert alarm["AlarmName"].startswith(f"{STACK}-"), "the topic and key accept alarms named <stack>-*"
        assert alarm["TreatMissingData"] in {"notBreaching", "breaching", "ignore", "missing"}
    assert len({a["AlarmName"] for a in alarms.values()}) == len(alarms)


def test_every_alarm_description_links_a_section_of_the_runbook(template: Template) -> None:
    anchors = github_anchors(RUNBOOK.read_text())
    for logical_id, alarm in alarms_of(template).items():
        link = re.search(r"Runbook: docs/runbook\.md#([\w-]+)$", alarm["AlarmDescription"])
        assert link, f"{logical_id}: no runbook link in {alarm['AlarmDescription']!r}"
        assert link.group(1) in anchors, f"{logical_id}: no heading #{link.group(1)} in docs/runbook.md"


def test_the_anchor_reader_follows_github() -> None:
    markdown = (
        "# Runbook\n## Find an application's workflow\n### `events-undelivered` not empty\n"
        "```\n# not a heading\n```\n## Runbook"
    )
    assert github_anchors(markdown) == {
        "runbook",
        "find-an-applications-workflow",
        "events-undelivered-not-empty",
        "runbook-1",
    }


# --- what the alarms watch ---------------------------------------------------------------------


def test_every_dead_letter_queue_has_a_not_empty_alarm(template: Template) -> None:
    queues = dead_letter_queue_ids(template)
    assert {q for q in queues if "IntakeDlq" in q or "Undelivered" in q or "PublishFailures" in q} == queues
    assert len(queues) == 3
    watched: dict[str, list[dict[str, Any]]] = {}
    for alarm in alarms_of(template).values():
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            (dimension,) = alarm["Dimensions"]
            assert dimension["Name"] == "QueueName"
            watched.setdefault(dimension["Value"]["Fn::GetAtt"][0], []).append(alarm)
    assert set(watched) == queues
    for queue, (alarm,) in watched.items():
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert alarm["Namespace"] == "AWS/SQS" and alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching", "an empty queue stops reporting"


def test_one_error_alarm_per_function_in_the_stack(template: Template) -> None:
    functions = service_functions(template)
    assert len(functions) >= 13, sorted(functions)
    for function_id in functions:
        errors = [
            alarm
            for alarm in alarms_of(template).values()
            if any(
                m["Namespace"] == "AWS/Lambda"
                and m["MetricName"] == "Errors"
                and m["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
                for m in metrics_of(alarm)
            )
        ]
        assert len(errors) == 1, f"{function_id}: {len(errors)} error alarms"
        (alarm,) = errors
        if "MetricName" in alarm:  # a plain one: any error in 5 minutes
            assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 1)
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        else:  # the authorizer (refusals are errors) and verify_inn (FNS faults are errors): math
            assert function_id.startswith(("FunctionsAuthorizerFunction", "FunctionsVerifyInnFunction"))


def test_verify_inn_alarms_on_errors_beyond_the_fns_faults(template: Template) -> None:
    function_id, _ = next((k, v) for k, v in service_functions(template).items() if "VerifyInn" in k)
    (alarm,) = [
        a
        for a in alarms_of(template).values()
        if any(m.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": function_id}}] for m in metrics_of(a))
    ]
    by_id = {m["Id"]: m for m in alarm["Metrics"]}
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert expression == "FILL(errors, 0) - FILL(faults, 0)"
    assert by_id["faults"]["MetricStat"]["Metric"]["MetricName"] == "FnsCalls"
    assert {"Name": "result", "Value": "fault"} in by_id["faults"]["MetricStat"]["Metric"]["Dimensions"]


def test_workflow_failures_and_timeouts_alarm(template: Template) -> None:
    machine, _ = one(template, "AWS::StepFunctions::StateMachine")
    watched = {a["MetricName"]: a for a in alarms_of(template).values() if a.get("Namespace") == "AWS/States"}
    assert set(watched) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in watched.values():
        assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": machine}}]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def _fns_alarm(template: Template) -> dict[str, Any]:
    (alarm,) = [
        a
        for a in alarms_of(template).values()
        if any(m["MetricName"] == "FnsCalls" for m in metrics_of(a)) and "Errors" not in json.dumps(a)
    ]
    return alarm


def test_the_fns_fault_rate_alarm_is_metric_math_over_fault_and_ok(template: Template) -> None:
    alarm = _fns_alarm(template)
    stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    (returned,) = [m for m in alarm["Metrics"] if m.get("ReturnData", True)]
    results = {}
    for metric_id, stat in stats.items():
        metric = stat["Metric"]
        assert (metric["Namespace"], metric["MetricName"], stat["Stat"], stat["Period"]) == (
            "TaxCabinet",
            "FnsCalls",
            "Sum",
            60,
        )
        dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert dims["service"] == "tax-cabinet"
        results[dims["result"]] = metric_id
    assert set(results) == {"ok", "fault"}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (20, "GreaterThanThreshold")
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (5, 3)
    assert alarm["TreatMissingData"] == "notBreaching"

    def rate(ok: float, fault: float) -> float:  # the expression, evaluated for one minute's sums
        python = re.sub(r"FILL\((\w+), 0\)", r"\1", returned["Expression"])
        return float(eval(python, {"IF": lambda c, a, b: a if c else b}, {results["ok"]: ok, results["fault"]: fault}))

    assert rate(ok=8, fault=2) == 20  # at the threshold: no alarm
    assert rate(ok=7, fault=3) == 30
    assert rate(ok=0, fault=10) == 100
    assert rate(ok=1, fault=3) == 0, "too few calls in the minute to judge"


def test_business_alarms(template: Template) -> None:
    by_metric = {a.get("MetricName"): a for a in alarms_of(template).values()}
    for name, statistic in (("DeadlineBreaches", "Sum"), ("TicketsOverdue", "Maximum"), ("ComplaintsFiled", "Sum")):
        alarm = by_metric[name]
        assert alarm["Namespace"] == "TaxCabinet" and alarm["Statistic"] == statistic
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "tax-cabinet"}]
        assert alarm["Period"] == 3600, "the sweep emits once an hour"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    stale = by_metric["ReviewQueueOldestSeconds"]
    assert stale["Threshold"] == monitoring.REVIEW_OLDEST_DAYS * 86400


def test_a_sweep_that_stops_finishing_alarms(template: Template) -> None:
    """The other hourly alarms see nothing when the sweep does not run: its absence alarms itself."""
    (alarm,) = [a for a in alarms_of(template).values() if a.get("MetricName") == "ReviewQueueDepth"]
    assert (alarm["Statistic"], alarm["Period"]) == ("SampleCount", 3600)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "LessThanThreshold")
    assert alarm["TreatMissingData"] == "breaching", "no data is exactly the failure"
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == monitoring.SWEEP_MISSED_HOURS


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_every_business_metric(template: Template) -> None:
    body = dashboard_body(template)
    text = json.dumps(body)
    for name in BUSINESS_METRICS:
        assert f'"{name}"' in text or f'MetricName=\\"{name}\\"' in text, name
    rows = graphed(body)
    for channel in monitoring.CHANNELS:
        assert any(
            map(_row("TaxCabinet", "ApplicationsSubmitted", "Sum", channel=channel, service="tax-cabinet"), rows)
        )
    for stage in monitoring.STAGES:
        for stat in ("p50", "p99"):
            assert any(map(_row("TaxCabinet", "StageDuration", stat, stage=stage), rows)), (stage, stat)
    for status in monitoring.OUTCOME_STATUSES:
        assert f'status=\\"{status}\\"' in text
    for name in ("ReviewQueueDepth", "ReviewQueueOldestSeconds", "TicketsOverdue"):
        assert any(map(_row("TaxCabinet", name, "Maximum"), rows)), name
    fault_rate = json.dumps(_fns_alarm(template)["Metrics"][0]["Expression"])
    assert fault_rate in text, "the same fault-rate math as the alarm"


def test_the_dashboard_shows_the_workflow_the_queues_and_every_function(template: Template) -> None:
    body = dashboard_body(template)
    rows = graphed(body)
    machine, _ = one(template, "AWS::StepFunctions::StateMachine")
    for name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled", "ExecutionsStarted"):
        assert any(map(_row("AWS/States", name, "Sum", StateMachineArn=f"<{machine}>"), rows)), name
    for queue in dead_letter_queue_ids(template):
        assert any(
            map(
                _row("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", QueueName=f"<{queue}.QueueName>"), rows
            )
        ), queue
    for function_id in service_functions(template):
        for name, stat in (("Errors", "Sum"), ("Throttles", "Sum"), ("Duration", "p50"), ("Duration", "p99")):
            assert any(map(_row("AWS/Lambda", name, stat, FunctionName=f"<{function_id}>"), rows)), (function_id, name)
    (status,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(status["properties"]["alarms"]) == sorted(f"<{a}.Arn>" for a in alarms_of(template))


# --- the local cloud ---------------------------------------------------------------------------


def test_the_local_cloud_keeps_the_topic_and_drops_what_moto_lacks(template: Template) -> None:
    prepared = for_moto(template)
    kept = prepared["Resources"]
    assert not [r for r in kept.values() if r["Type"].startswith("AWS::CloudWatch::")]
    _, topic = one(prepared, "AWS::SNS::Topic", "AlarmTopic")
    assert ref_id(topic["Properties"]["KmsMasterKeyId"]) in kept
    dropped = set(template["Resources"]) - set(kept)
    text = json.dumps(prepared)
    assert not [d for d in dropped if f'"{d}"' in text], "a reference to a dropped resource fails the stack"


# --- with partners and an alarm address (the construct in-process) -----------------------------


@pytest.fixture(scope="module")
def partners_template() -> Template:
    from aws_cdk import App, Stack
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk.assertions import Template as CdkTemplate
    from constructs import Construct

    from infra.components.encryption import Encryption
    from infra.components.events import OutcomeEvents
    from infra.components.intake import Intake

    app = App()
    stack = Stack(app, STACK)
    encryption = Encryption(stack, "Encryption")
    intake = Intake(stack, "Intake", key=encryption.data_key, partner_accounts=[])
    events = OutcomeEvents(stack, "Events", partners=PARTNERS)
    functions = Construct(stack, "Functions")
    lambda_.Function(
        functions,
        "EchoFunction",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        log_group=logs.LogGroup(functions, "EchoLogs"),
    )
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
    )
    monitoring.Monitoring(
        stack,
        "Monitoring",
        functions=monitoring.service_functions(functions),
        state_machine=machine,
        dead_letter_queues=monitoring.dead_letter_queues(intake, events),
        alarm_email="oncall@example.ru",
    )
    return dict(CdkTemplate.from_stack(stack).to_json())


def test_each_partners_outcome_dlq_has_its_alarm(partners_template: Template) -> None:
    dlqs = {
        ref_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in of_type(partners_template, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    assert len(dlqs) == 1 + len(PARTNERS)  # the intake's and each partner's
    alarms = alarms_of(partners_template)
    for partner in PARTNERS:
        (alarm,) = [a for a in alarms.values() if a["AlarmName"] == f"{STACK}-outcomes-{partner}-dlq-not-empty"]
        assert ref_id(alarm["Dimensions"][0]["Value"]) in dlqs
        assert alarm["AlarmDescription"].endswith("Runbook: docs/runbook.md#partner-outcome-dlq-not-empty")
    assert "partner-outcome-dlq-not-empty" in github_anchors(RUNBOOK.read_text())


def test_the_alarm_email_is_subscribed(partners_template: Template) -> None:
    topic_id, _ = one(partners_template, "AWS::SNS::Topic", "AlarmTopic")
    (subscription,) = of_type(partners_template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Protocol": "email",
        "Endpoint": "oncall@example.ru",
        "TopicArn": {"Ref": topic_id},
    }


def test_an_alarm_email_that_is_not_an_address_stops_the_synth() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from aws_cdk import aws_stepfunctions as sfn

    stack = Stack(App(), STACK)
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
    )
    with pytest.raises(ValueError, match="alarm_email"):
        monitoring.Monitoring(
            stack,
            "Monitoring",
            functions={},
            state_machine=machine,
            dead_letter_queues={"dlq": sqs.Queue(stack, "Dlq")},
            alarm_email="oncall at example.ru",
        )
