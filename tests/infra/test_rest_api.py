"""The REST API: explicit routes, the JWT authorizer on every method, logs, tracing, problem bodies."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.template_tools import Template, function, of_type, one, ref_id

pytestmark = pytest.mark.xdist_group("infra")

REQUIRED_ROUTES = {  # architecture.md, issue 2: all on ApplicationsApiFunction
    ("POST", "/applications"),
    ("GET", "/applications"),
    ("GET", "/applications/{id}"),
    ("GET", "/operator/applications"),
}
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def _paths(template: Template) -> dict[str, str]:
    resources = of_type(template, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in paths:
            props = resources[logical]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical] = f"{prefix}/{props['PathPart']}"
        return paths[logical]

    for logical in resources:
        path_of(logical)
    return paths


def _routes(template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(template)
    routes = {}
    for method in of_type(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        routes[(props["HttpMethod"], path)] = props
    return routes


def test_routes_are_explicit(template: Template) -> None:
    routes = _routes(template)
    assert set(routes) >= REQUIRED_ROUTES
    assert all(method != "ANY" and "{proxy+}" not in path for method, path in routes)


def test_every_method_has_the_jwt_authorizer_and_a_proxy_integration(template: Template) -> None:
    authorizer_id, _ = one(template, "AWS::ApiGateway::Authorizer")
    for route, props in _routes(template).items():
        assert props["AuthorizationType"] == "CUSTOM", route
        assert props["AuthorizerId"] == {"Ref": authorizer_id}, route
        assert props["Integration"]["Type"] == "AWS_PROXY", route
        assert props["Integration"]["IntegrationHttpMethod"] == "POST", route


def test_issue_two_routes_reach_the_applications_function(template: Template) -> None:
    api_function, _ = function(template, "ApplicationsApiFunction")
    routes = _routes(template)
    for route in REQUIRED_ROUTES:
        assert f'"{api_function}"' in json.dumps(routes[route]["Integration"]["Uri"]), route


def test_token_authorizer_reads_the_authorization_header(template: Template) -> None:
    authorizer_fn, _ = function(template, "AuthorizerFunction")
    _, authorizer = one(template, "AWS::ApiGateway::Authorizer")
    props = authorizer["Properties"]
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert f'"{authorizer_fn}"' in json.dumps(props["AuthorizerUri"])
    permissions = [
        p["Properties"]
        for p in of_type(template, "AWS::Lambda::Permission").values()
        if ref_id(p["Properties"]["FunctionName"]) == authorizer_fn
    ]
    assert permissions and all(p["Principal"] == "apigateway.amazonaws.com" for p in permissions)


def test_stage_v1_traces_and_logs_access_without_bodies(template: Template) -> None:
    _, stage = one(template, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "v1"
    assert props["TracingEnabled"] is True
    access_logs, _ = one(template, "AWS::Logs::LogGroup", "AccessLogs")
    assert props["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": [access_logs, "Arn"]}
    assert props["MethodSettings"] and all(s["DataTraceEnabled"] is False for s in props["MethodSettings"])


@pytest.mark.parametrize(("response_type", "status"), [("UNAUTHORIZED", "401"), ("ACCESS_DENIED", "403")])
def test_auth_failures_answer_problem_json_in_russian(template: Template, response_type: str, status: str) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    props = responses[response_type]
    assert props["StatusCode"] == status
    assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    (body,) = props["ResponseTemplates"].values()
    problem = json.loads(body)
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert str(problem["status"]) == status
    assert CYRILLIC.search(problem["title"]) and CYRILLIC.search(problem["detail"])


def test_every_gateway_response_is_a_problem_whose_status_is_the_real_one(template: Template) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404", "API Gateway's answer to no such route"
    for response_type, props in responses.items():
        assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        (body,) = props["ResponseTemplates"].values()
        problem = json.loads(body)
        assert {"type", "title", "status", "detail"} <= set(problem), response_type
        assert CYRILLIC.search(problem["title"]), response_type
        if not response_type.startswith("DEFAULT_"):  # the defaults pass the status they catch through
            assert str(problem["status"]) == props["StatusCode"], response_type


def test_waf_guards_the_stage(template: Template) -> None:
    _, acl = one(template, "AWS::WAFv2::WebACL")
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    assert rules["PerIpRateLimit"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "AWSManagedRulesCommonRuleSet" in rules
    (association,) = of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert "/stages/" in json.dumps(association["Properties"]["ResourceArn"])


def test_waf_refuses_bodies_over_64_kib_but_lets_signed_xml_through(template: Template) -> None:
    _, acl = one(template, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    (limit,) = [r for r in props["Rules"] if r["Name"] == "BodySizeLimit"]
    size = limit["Statement"]["SizeConstraintStatement"]
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", 64 * 1024) and "Block" in limit["Action"]
    assert size["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"  # what WAF cannot read is refused
    assert props["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == "KB_64"
    (common,) = [r for r in props["Rules"] if r["Name"] == "AWSManagedRulesCommonRuleSet"]
    overrides = common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
