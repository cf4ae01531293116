"""Operations: one dashboard, the alarms, and the encrypted topic they notify (docs/runbook.md).

The metric contract is shared/core/metrics.py: namespace `TaxCabinet`, every metric with the dimension
`service=tax-cabinet` plus its own low-cardinality ones. CloudWatch identifies a metric by its
whole dimension set, so an alarm names exact sets (`FnsCalls{service, result=fault}`); where a
dimension's values are open (an outcome's reason code, a dead-letter reason) the dashboard uses
SEARCH, which graphs may use and alarms may not.

Every alarm has its runbook section in its description, is named `<stack>-<what>`, and sends both
its ALARM and its OK transitions to the topic (on call sees the end of an incident too).

Why a key of its own (`AlarmsKey`): CloudWatch publishes into an encrypted topic as the service
principal `cloudwatch.amazonaws.com`, which therefore needs Decrypt/GenerateDataKey on the
topic's key. The data key protects personal data and gets no such grant; this key protects alarm
notifications only (alarm names, states and thresholds, no personal data). The grant, like the
topic's publish permission, holds only for alarms of this account named `<stack>-*`.

Locally (`make dev`) moto creates the key and the topic; alarms, the dashboard, the topic policy
and the e-mail subscription are types moto lacks, which localcloud/template.py drops together with
every reference to them (the dashboard's alarm-status widget refers to the alarms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

if TYPE_CHECKING:
    from infra.components.events import OutcomeEvents
    from infra.components.intake import Intake

# shared/core/metrics.py and shared/applications/models.py (a unit of tests/infra/test_monitoring.py keeps them in step)
NAMESPACE = "TaxCabinet"
SERVICE = "tax-cabinet"
CHANNELS = ("portal", "mobile", "signed_xml", "office", "partner")
OUTCOME_STATUSES = ("ready", "rejected", "needs_clarification")
STAGES = ("contact_confirmation", "inn_lookup", "fns_check", "clarification", "review", "activation")
CODE_CHANNELS = ("sms", "email")
FNS_RESULTS = ("ok", "fault")

RUNBOOK = "docs/runbook.md"
FNS_FAULT_RATE_PERCENT = 20  # of the calls in a minute, in 3 of 5 minutes ...
FNS_MIN_CALLS_PER_MINUTE = 5  # ... counted only in minutes with at least this many calls
AUTHORIZER_REFUSED_PERCENT = 50  # refused tokens are the authorizer's errors by design
AUTHORIZER_MIN_CALLS = 20  # per 5 minutes
API_SERVER_ERRORS = 3  # 5XX answers in 5 minutes
REVIEW_OLDEST_DAYS = 3  # an application waiting for an operator longer than this (a weekend fits)

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
HOURLY = Duration.hours(1)  # the deadline sweep emits its gauges and counts once an hour
SWEEP_MISSED_HOURS = 2  # hours in a row without a finished sweep (its schedule retries twice)


def service_functions(scope: Construct) -> dict[str, lambda_.Function]:
    """Every Lambda function defined under `scope` (the stack: each concern makes its own), by
    construct id: a new one is monitored too."""
    return {node.node.id: node for node in scope.node.find_all() if isinstance(node, lambda_.Function)}


def dead_letter_queues(intake: Intake, events: OutcomeEvents) -> dict[str, sqs.IQueue]:
    """The stack's dead-letter queues by short name (the name the runbook and `make redrive` use)."""
    queues: dict[str, sqs.IQueue] = {"intake-dlq": intake.dlq, "events-undelivered": events.undelivered}
    failures = getattr(events, "publish_failures", None)
    if failures is not None:
        queues["events-publish-failures"] = failures
    for partner_id, queue in events.outcome_queues.items():
        if queue.dead_letter_queue is not None:
            queues[f"outcomes-{partner_id}-dlq"] = queue.dead_letter_queue.queue
    return queues


@dataclass(frozen=True)
class _Runbook:
    anchor: str

    def text(self, what: str) -> str:
        return f"{what} Runbook: {RUNBOOK}#{self.anchor}"


def _business(
    name: str, statistic: str = "Sum", period: Duration = FIVE_MINUTES, label: str | None = None, **dimensions: str
) -> cw.Metric:
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE, **dimensions},
        statistic=statistic,
        period=period,
        label=label,
    )


def _search(
    name: str,
    dimensions: Sequence[str],
    label: str,
    period: Duration = FIVE_MINUTES,
    where: str = "",
    aggregate: bool = False,
) -> cw.MathExpression:
    schema = ",".join([NAMESPACE, *sorted({"service", *dimensions})])
    query = f"SEARCH('{{{schema}}} MetricName=\"{name}\" service=\"{SERVICE}\"{where}', 'Sum', {period.to_seconds()})"
    return cw.MathExpression(
        expression=f"SUM({query})" if aggregate else query, using_metrics={}, label=label, period=period
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        state_machine: sfn.IStateMachine,
        dead_letter_queues: Mapping[str, sqs.IQueue],
        api: apigw.RestApi | None = None,
        alarm_email: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._prefix = stack.stack_name
        self.alarms: list[cw.Alarm] = []
        self.key = kms.Key(
            self,
            "AlarmsKey",
            description="Tax cabinet: the alarm topic (alarm notifications only, no personal data)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{self._prefix}-alarms",
            display_name="Tax cabinet alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        from_our_alarms = {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {
                "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:{self._prefix}-*"
            },
        }
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisStack",
                principals=[cloudwatch],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_our_alarms,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsEncryptNotifications",
                principals=[cloudwatch],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=from_our_alarms,
            )
        )
        if alarm_email:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", alarm_email):
                raise ValueError(f"alarm_email: {alarm_email!r} is not an e-mail address")
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self._action = cw_actions.SnsAction(self.topic)

        self._dead_letter_alarms(dead_letter_queues)
        self._function_alarms(functions)
        self._workflow_alarms(state_machine)
        self._business_alarms()
        if api is not None:
            self._alarm(
                "ApiServerErrors",
                "api-5xx",
                api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                threshold=API_SERVER_ERRORS,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                runbook=_Runbook("api-server-errors"),
                what=f"The API answered {API_SERVER_ERRORS} or more 5XX responses in 5 minutes.",
            )
        self.dashboard = self._dashboard(functions, state_machine, dead_letter_queues, api)
        CfnOutput(stack, "AlarmTopicArn", value=self.topic.topic_arn)
        CfnOutput(stack, "DashboardName", value=self.dashboard.dashboard_name)

    # --- alarms --------------------------------------------------------------------------------

    def _alarm(
        self,
        construct_id: str,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        comparison: cw.ComparisonOperator,
        runbook: _Runbook,
        what: str,
        evaluation_periods: int = 1,
        datapoints: int = 1,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=runbook.text(what),
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def _dead_letter_alarms(self, queues: Mapping[str, sqs.IQueue]) -> None:
        """Any message on a dead-letter queue is work for a person: threshold 0. An empty queue
        stops reporting after a while (missing data = not breaching)."""
        for name, queue in queues.items():
            anchor = "partner-outcome-dlq-not-empty" if name.startswith("outcomes-") else f"{name}-not-empty"
            self._alarm(
                f"DlqNotEmpty-{name}",
                f"{name}-not-empty",
                queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=FIVE_MINUTES),
                threshold=0,
                comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                runbook=_Runbook(anchor),
                what=f"Messages are waiting on the dead-letter queue {name}.",
            )

    def _function_alarms(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """One error alarm per function. Two of them raise errors by design and are judged
        differently: the authorizer refuses a bad token by raising (alarm on the refused share of
        enough calls), verify_inn raises on a transient FNS fault for the workflow to retry (alarm on
        its errors beyond the FNS faults, which have their own alarm)."""
        for name, fn in functions.items():
            errors = fn.metric_errors(period=FIVE_MINUTES, statistic="Sum")
            if name == "AuthorizerFunction":
                metric: cw.IMetric = cw.MathExpression(
                    label="refused tokens, % of calls",
                    expression=(f"IF(FILL(calls, 0) >= {AUTHORIZER_MIN_CALLS}, 100 * FILL(errors, 0) / calls, 0)"),
                    using_metrics={"errors": errors, "calls": fn.metric_invocations(period=FIVE_MINUTES)},
                    period=FIVE_MINUTES,
                )
                self._alarm(
                    f"Errors-{name}",
                    f"fn-{name}-errors",
                    metric,
                    threshold=AUTHORIZER_REFUSED_PERCENT,
                    comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=2,
                    datapoints=2,
                    runbook=_Runbook("authorizer-refusing-tokens"),
                    what=(
                        f"The authorizer refused more than {AUTHORIZER_REFUSED_PERCENT}% of at least "
                        f"{AUTHORIZER_MIN_CALLS} tokens per 5 minutes, for 10 minutes."
                    ),
                )
                continue
            if name == "VerifyInnFunction":
                metric = cw.MathExpression(
                    label="errors other than FNS faults",
                    expression="FILL(errors, 0) - FILL(faults, 0)",
                    using_metrics={"errors": errors, "faults": _business("FnsCalls", result="fault")},
                    period=FIVE_MINUTES,
                )
                what = "verify_inn failed for a reason other than an FNS fault (those have their own alarm)."
            else:
                metric = errors
                what = f"{name} raised an error."
            self._alarm(
                f"Errors-{name}",
                f"fn-{name}-errors",
                metric,
                threshold=1,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                runbook=_Runbook("function-errors"),
                what=what,
            )

    def _workflow_alarms(self, machine: sfn.IStateMachine) -> None:
        self._alarm(
            "WorkflowFailed",
            "workflow-failed",
            machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            runbook=_Runbook("workflow-failed"),
            what="An onboarding execution failed (a task's Catch recorded it and opened a support ticket).",
        )
        self._alarm(
            "WorkflowTimedOut",
            "workflow-timed-out",
            machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            runbook=_Runbook("workflow-timed-out"),
            what="An onboarding execution timed out.",
        )

    def _business_alarms(self) -> None:
        ok, fault = (_business("FnsCalls", period=ONE_MINUTE, result=r) for r in FNS_RESULTS)
        self.fns_fault_rate = cw.MathExpression(
            label="FNS fault rate, %",
            expression=(
                f"IF(FILL(ok, 0) + FILL(fault, 0) >= {FNS_MIN_CALLS_PER_MINUTE}, "
                "100 * FILL(fault, 0) / (FILL(ok, 0) + FILL(fault, 0)), 0)"
            ),
            using_metrics={"ok": ok, "fault": fault},
            period=ONE_MINUTE,
        )
        self._alarm(
            "FnsFaultRate",
            "fns-fault-rate",
            self.fns_fault_rate,
            threshold=FNS_FAULT_RATE_PERCENT,
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=5,
            datapoints=3,
            runbook=_Runbook("fns-fault-rate"),
            what=(
                f"More than {FNS_FAULT_RATE_PERCENT}% of FNS registry calls failed in 3 of 5 minutes "
                f"(minutes with at least {FNS_MIN_CALLS_PER_MINUTE} calls)."
            ),
        )
        self._alarm(
            "DeadlineBreaches",
            "deadline-breaches",
            _business("DeadlineBreaches", period=HOURLY),
            threshold=0,
            runbook=_Runbook("deadline-breaches"),
            what="The hourly sweep found applications unfinished after 15 days and opened tickets for them.",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "TicketsOverdue",
            "tickets-overdue",
            _business("TicketsOverdue", "Maximum", period=HOURLY),
            threshold=0,
            runbook=_Runbook("tickets-overdue"),
            what="Support tickets are past their answer target.",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "ComplaintsFiled",
            "complaints-filed",
            _business("ComplaintsFiled", period=HOURLY),
            threshold=0,
            runbook=_Runbook("complaints-filed"),
            what="A ticket went 10 working days unanswered: a complaint was filed to the FNS.",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "SweepNotRunning",
            "sweep-not-running",
            _business("ReviewQueueDepth", "SampleCount", period=HOURLY),  # the sweep's last act: it finished
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=SWEEP_MISSED_HOURS,
            datapoints=SWEEP_MISSED_HOURS,
            missing=cw.TreatMissingData.BREACHING,
            runbook=_Runbook("sweep-not-running"),
            what=(
                f"The hourly deadline sweep has not finished for {SWEEP_MISSED_HOURS} hours: deadline breaches, "
                "overdue tickets and complaints go unnoticed meanwhile."
            ),
        )
        self._alarm(
            "ReviewQueueStale",
            "review-queue-stale",
            _business("ReviewQueueOldestSeconds", "Maximum", period=HOURLY),
            threshold=REVIEW_OLDEST_DAYS * 86400,
            runbook=_Runbook("review-queue-stale"),
            what=f"An application has waited for an operator's review longer than {REVIEW_OLDEST_DAYS} days.",
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    # --- the dashboard -------------------------------------------------------------------------

    def _dashboard(
        self,
        functions: Mapping[str, lambda_.IFunction],
        machine: sfn.IStateMachine,
        queues: Mapping[str, sqs.IQueue],
        api: apigw.RestApi | None,
    ) -> cw.Dashboard:
        dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self._prefix}-operations",
            default_interval=Duration.hours(6),
        )
        dashboard.add_widgets(
            cw.TextWidget(
                markdown=(
                    "# Tax cabinet onboarding\n"
                    f"Every alarm names its section of `{RUNBOOK}`. Find an application's workflow: "
                    "`make execution ID=<application id>`; move dead letters back: `make redrive QUEUE=<name>`."
                ),
                width=8,
                height=6,
            ),
            cw.AlarmStatusWidget(
                title="Alarms",
                alarms=self.alarms,
                width=16,
                height=6,
                sort_by=cw.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Submissions by channel",
                [_business("ApplicationsSubmitted", label=c, channel=c) for c in CHANNELS],
                stacked=True,
            ),
            _graph(
                "Outcomes by status",
                [
                    _search("ApplicationOutcomes", ("status", "reason"), s, where=f' status="{s}"', aggregate=True)
                    for s in OUTCOME_STATUSES
                ],
                stacked=True,
            ),
            _graph(
                "Outcomes by status and reason",
                [_search("ApplicationOutcomes", ("status", "reason"), "${PROP('Dim.status')} ${PROP('Dim.reason')}")],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Stage time p50 (s)",
                [_business("StageDuration", "p50", label=s, stage=s) for s in STAGES],
                width=12,
            ),
            _graph(
                "Stage time p99 (s)",
                [_business("StageDuration", "p99", label=s, stage=s) for s in STAGES],
                width=12,
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Review queue (hourly)",
                [_business("ReviewQueueDepth", "Maximum", HOURLY, "waiting for review")],
                right=[_business("ReviewQueueOldestSeconds", "Maximum", HOURLY, "oldest item (s)")],
            ),
            _graph(
                "Deadlines and support desk (hourly)",
                [
                    _business("TicketsOverdue", "Maximum", HOURLY, "tickets overdue"),
                    _business("DeadlineBreaches", "Sum", HOURLY, "deadline breaches (tickets opened)"),
                    _business("ComplaintsFiled", "Sum", HOURLY, "complaints filed"),
                ],
            ),
            _graph(
                "Dead-letter queues (messages visible)",
                [
                    q.metric_approximate_number_of_messages_visible(
                        statistic="Maximum", period=FIVE_MINUTES, label=name
                    )
                    for name, q in queues.items()
                ],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "FNS registry calls",
                [_business("FnsCalls", label=r, result=r) for r in FNS_RESULTS],
                right=[self.fns_fault_rate],
            ),
            _graph(
                "Contact codes",
                [
                    _business(name, label=f"{c} {name.removeprefix('ContactCodes').lower()}", channel=c)
                    for name in ("ContactCodesSent", "ContactCodesFailed")
                    for c in CODE_CHANNELS
                ],
            ),
            _graph(
                "Partner messages dead-lettered by reason",
                [_search("IntakeDeadLettered", ("reason",), "${PROP('Dim.reason')}")],
                stacked=True,
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Workflow executions",
                [
                    machine.metric_started(period=FIVE_MINUTES, statistic="Sum", label="started"),
                    machine.metric_succeeded(period=FIVE_MINUTES, statistic="Sum", label="succeeded"),
                    machine.metric_failed(period=FIVE_MINUTES, statistic="Sum", label="failed"),
                    machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum", label="timed out"),
                    machine.metric_aborted(period=FIVE_MINUTES, statistic="Sum", label="aborted"),
                    machine.metric_throttled(period=FIVE_MINUTES, statistic="Sum", label="throttled"),
                ],
                width=12,
            ),
            *(
                [
                    _graph(
                        "API requests",
                        [
                            api.metric_count(period=FIVE_MINUTES, statistic="Sum", label="requests"),
                            api.metric_client_error(period=FIVE_MINUTES, statistic="Sum", label="4XX"),
                            api.metric_server_error(period=FIVE_MINUTES, statistic="Sum", label="5XX"),
                        ],
                        right=[
                            api.metric_latency(period=FIVE_MINUTES, statistic="p50", label="latency p50"),
                            api.metric_latency(period=FIVE_MINUTES, statistic="p99", label="latency p99"),
                        ],
                        width=12,
                    )
                ]
                if api is not None
                else []
            ),
        )
        per_function = [
            ("Function errors", lambda fn, n: fn.metric_errors(period=FIVE_MINUTES, statistic="Sum", label=n)),
            ("Function throttles", lambda fn, n: fn.metric_throttles(period=FIVE_MINUTES, statistic="Sum", label=n)),
            (
                "Function duration p50 (ms)",
                lambda fn, n: fn.metric_duration(period=FIVE_MINUTES, statistic="p50", label=n),
            ),
            (
                "Function duration p99 (ms)",
                lambda fn, n: fn.metric_duration(period=FIVE_MINUTES, statistic="p99", label=n),
            ),
        ]
        dashboard.add_widgets(
            *(
                _graph(
                    title,
                    [make(fn, name.removesuffix("Function")) for name, fn in functions.items()],
                    width=6,
                    height=8,
                )
                for title, make in per_function
            )
        )
        log_groups = _log_group_names(functions.values())
        if log_groups:
            dashboard.add_widgets(
                cw.LogQueryWidget(
                    title="Errors and warnings in the functions' logs (newest first)",
                    log_group_names=log_groups,
                    query_lines=[
                        "fields @timestamp, function_name, level, message, correlation_id, application_id",
                        "filter level in ['ERROR', 'CRITICAL', 'WARNING']",
                        "sort @timestamp desc",
                        "limit 100",
                    ],
                    width=24,
                    height=8,
                )
            )
        return dashboard


def _graph(
    title: str,
    left: Sequence[cw.IMetric],
    *,
    right: Sequence[cw.IMetric] = (),
    width: int = 8,
    height: int = 6,
    stacked: bool = False,
) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=list(left), right=list(right), width=width, height=height, stacked=stacked)


def _log_group_names(functions: Iterable[lambda_.IFunction]) -> list[str]:
    names = []
    for fn in functions:
        log_group = getattr(fn, "log_group", None)
        if log_group is not None:
            names.append(log_group.log_group_name)
    return names
