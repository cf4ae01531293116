"""Logical ids: the functions moved into their concerns' constructs and the WAF into a module of
its own, and still nothing stateful (nor a function, a role or the web ACL) gets a new logical id,
so a deploy updates them in place instead of replacing them."""

from __future__ import annotations

import pytest

from tests.infra.template_tools import Template

pytestmark = pytest.mark.xdist_group("infra")

# The ids of the template before the move (commit 3bcd060): a new id here means a replacement
# (a table, bucket, key or queue with its data; a log group with its logs; a renamed function or
# role). What did change: the API deployment (every method lost its request validator), and the
# two Lambda permissions whose ids CDK derives from the function's path (S3's, the schedule's).
FORMER_IDS = {
    "AWS::DynamoDB::Table": {"StorageApplicationsTableA8549026", "StorageIdempotencyTable5D6E4193"},
    "AWS::S3::Bucket": {"DocumentsAccessLogsE0128BD5", "DocumentsDocumentsBucketF9360AFA"},
    "AWS::KMS::Key": {
        "EncryptionDataKey4CB32E29",
        "EncryptionLookupHashKeyBD428940",
        "EventsEventsKeyBFD886D2",
        "MonitoringAlarmsKey0C929FFE",
    },
    "AWS::SQS::Queue": {
        "EventsPublishFailuresC403B9DB",
        "EventsUndeliveredDlq3B84D6D3",
        "IntakeIntakeDlqAAB7903E",
        "IntakeIntakeQueue8CE5D355",
    },
    "AWS::Logs::LogGroup": {
        "ApiAccessLogs50B185DB",
        "FunctionsActivateCabinetFunctionLogsE1BA8AD1",
        "FunctionsApplicationsApiFunctionLogsF9F2E83E",
        "FunctionsAuthorizerFunctionLogs055F6956",
        "FunctionsConfirmContactFunctionLogsFC39A0AC",
        "FunctionsDeadlineSweepFunctionLogs4BDE9EA6",
        "FunctionsDocumentUploadedFunctionLogs1CE77045",
        "FunctionsPartnerIntakeFunctionLogsC5EF36C2",
        "FunctionsProfileApiFunctionLogsF4205EF9",
        "FunctionsPublishEventsFunctionLogsB15F89A3",
        "FunctionsRecordFailureFunctionLogs6A05F5AE",
        "FunctionsReviewFunctionLogs1B35DFA7",
        "FunctionsSupportApiFunctionLogs207C3AFD",
        "FunctionsVerifyInnFunctionLogsF856FF1C",
        "WorkflowWorkflowLogsB0009411",
    },
    "AWS::Events::EventBus": {"EventsBus45DE4339"},
    "AWS::SNS::Topic": {"MonitoringAlarmTopicAF62D4F1"},
    "AWS::Lambda::Function": {
        "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691",
        "FunctionsActivateCabinetFunctionCB34CEFC",
        "FunctionsApplicationsApiFunctionBAAEA011",
        "FunctionsAuthorizerFunction51291D76",
        "FunctionsConfirmContactFunctionBFA4C786",
        "FunctionsDeadlineSweepFunctionC16F6BBD",
        "FunctionsDocumentUploadedFunctionC45A14B8",
        "FunctionsPartnerIntakeFunction6F19DF02",
        "FunctionsProfileApiFunctionE3DE2998",
        "FunctionsPublishEventsFunctionD118A7CA",
        "FunctionsRecordFailureFunction1F8B71C2",
        "FunctionsReviewFunction1E885129",
        "FunctionsSupportApiFunctionC66C6198",
        "FunctionsVerifyInnFunction36E1D117",
    },
    "AWS::Lambda::LayerVersion": {"FunctionsDependenciesLayerFF1617DB"},
    "AWS::StepFunctions::StateMachine": {"WorkflowOnboardingStateMachineAC29D031"},
    "AWS::ApiGateway::RestApi": {"ApiRestApiE35FEAFE"},
    "AWS::WAFv2::WebACL": {"ApiWebAcl796CF128"},
    "AWS::IAM::Role": {
        "ApiRestApiCloudWatchRoleB7879BFC",
        "BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC",
        "FunctionsActivateCabinetFunctionRole225BB303",
        "FunctionsApplicationsApiFunctionRole14F3E4DF",
        "FunctionsAuthorizerFunctionRole3BB1BC6E",
        "FunctionsConfirmContactFunctionRole2E21E5B0",
        "FunctionsDeadlineSweepFunctionRole2CD867F3",
        "FunctionsDocumentUploadedFunctionRole54701A9F",
        "FunctionsPartnerIntakeFunctionRole6A99F37B",
        "FunctionsProfileApiFunctionRole5E35E862",
        "FunctionsPublishEventsFunctionRole5C95183A",
        "FunctionsRecordFailureFunctionRoleEDACCC73",
        "FunctionsReviewFunctionRole62678C14",
        "FunctionsSupportApiFunctionRole5EE3527C",
        "FunctionsVerifyInnFunctionRole4045EC68",
        "WorkflowOnboardingStateMachineRoleB558AD38",
    },
    "AWS::IAM::Policy": {
        "DocumentsDocumentsBucketNotificationsHandlerPolicy05D8B875",
        "FunctionsActivateCabinetFunctionRoleDefaultPolicyD492AFC8",
        "FunctionsApplicationsApiFunctionRoleDefaultPolicy63857BD8",
        "FunctionsAuthorizerFunctionRoleDefaultPolicyDEC22E53",
        "FunctionsConfirmContactFunctionRoleDefaultPolicy29BF0C53",
        "FunctionsDeadlineSweepFunctionRoleDefaultPolicy7B650B6D",
        "FunctionsDocumentUploadedFunctionRoleDefaultPolicyB12646D5",
        "FunctionsPartnerIntakeFunctionRoleDefaultPolicy6566A23C",
        "FunctionsProfileApiFunctionRoleDefaultPolicyB805D016",
        "FunctionsPublishEventsFunctionRoleDefaultPolicyA20AA454",
        "FunctionsRecordFailureFunctionRoleDefaultPolicyCD6F7E45",
        "FunctionsReviewFunctionRoleDefaultPolicy29E802A1",
        "FunctionsSupportApiFunctionRoleDefaultPolicyCC91181D",
        "FunctionsVerifyInnFunctionRoleDefaultPolicy0B998A12",
        "WorkflowOnboardingStateMachineRoleDefaultPolicy6A56EC90",
    },
}


@pytest.mark.parametrize("kind", sorted(FORMER_IDS))
def test_stateful_and_named_resources_keep_their_logical_ids(template: Template, kind: str) -> None:
    ids = {k for k, v in template["Resources"].items() if v["Type"] == kind}
    assert ids == FORMER_IDS[kind]


def test_make_unique_id_is_cdks_algorithm() -> None:
    """The ids a moved subtree keeps are computed the way CDK computes them."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from infra.components.logical_ids import make_unique_id, path_in_stack

    stack = Stack(App(), "Ids")
    outer = Construct(stack, "Outer")
    queues = [
        sqs.Queue(stack, "Plain"),
        sqs.Queue(outer, "Inner-queue.1"),
        sqs.Queue(Construct(outer, "Default"), "Hidden"),
        sqs.Queue(Construct(outer, "OuterRepeat"), "Repeat"),  # duplicated suffixes are dropped
    ]
    for queue in queues:
        cfn = queue.node.default_child
        assert make_unique_id(path_in_stack(cfn)) == stack.resolve(stack.get_logical_id(cfn))  # type: ignore[arg-type]


def test_a_kept_subtree_takes_its_former_ids_and_others_are_untouched() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from infra.components.logical_ids import KeepsLogicalIds

    former = Stack(App(), "Former")
    before = sqs.Queue(Construct(former, "Old"), "Queue")
    stack = KeepsLogicalIds(App(), "Moved")
    moved = sqs.Queue(Construct(stack, "New"), "Queue")
    other = sqs.Queue(Construct(stack, "Other"), "Queue")
    stack.keep(moved, ["Old", "Queue"])
    assert stack.resolve(stack.get_logical_id(moved.node.default_child)) == former.resolve(  # type: ignore[arg-type]
        former.get_logical_id(before.node.default_child)  # type: ignore[arg-type]
    )
    assert stack.resolve(stack.get_logical_id(other.node.default_child)).startswith("OtherQueue")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two subtrees"):
        stack.keep(other, ["Old", "Queue"])
