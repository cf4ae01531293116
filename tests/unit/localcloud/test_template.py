"""The local cloud's fixes to the template for moto, each with the gap it covers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy import _definition
from localcloud.gateway import _policy_allows, read_api
from localcloud.template import PLACEHOLDER, find_getatt, for_moto

TEMPLATE: dict[str, Any] = {
    "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
    "Rules": {"CheckBootstrapVersion": {}},
    "Resources": {
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Layers": [{"Ref": "Layer"}],
                "TracingConfig": {"Mode": "Active"},
                "Architectures": ["arm64"],
                "Environment": {"Variables": {"API": {"Ref": "Api"}, "T": {"Ref": "Table"}}},
            },
            "DependsOn": ["Role", "Api"],
        },
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Dimensions": [{"Value": {"Ref": "Fn"}}]}},
        "Dash": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"Body": {"Fn::GetAtt": ["Alarm", "Arn"]}}},
    },
    "Outputs": {"ApiUrl": {"Value": {"Ref": "Api"}}, "TableName": {"Value": {"Ref": "Table"}}},
}


def test_bootstrap_check_is_dropped() -> None:
    prepared = for_moto(TEMPLATE)
    assert "BootstrapVersion" not in prepared["Parameters"]
    assert "Rules" not in prepared


def test_types_moto_cannot_create_are_dropped_with_every_reference() -> None:
    prepared = for_moto(TEMPLATE)
    assert set(prepared["Resources"]) == {"Fn", "Table", "Role"}
    fn = prepared["Resources"]["Fn"]
    assert fn["DependsOn"] == ["Role"]
    assert fn["Properties"]["Environment"]["Variables"] == {"API": PLACEHOLDER, "T": {"Ref": "Table"}}
    assert set(prepared["Outputs"]) == {"TableName"}
    assert "Api" not in json.dumps(prepared)


def test_lambda_properties_moto_drops_are_removed() -> None:
    props = for_moto(TEMPLATE)["Resources"]["Fn"]["Properties"]
    assert not {"Layers", "TracingConfig", "Architectures"} & set(props)


def test_original_template_is_untouched() -> None:
    for_moto(TEMPLATE)
    assert "Layer" in TEMPLATE["Resources"] and "BootstrapVersion" in TEMPLATE["Parameters"]


def test_definition_substitutions_are_applied() -> None:
    resource: dict[str, Any] = {
        "Properties": {
            "DefinitionString": '{"A": "${VerifyArn}", "B": "${VerifyArn}"}',
            "DefinitionSubstitutions": {"VerifyArn": {"Fn::GetAtt": ["VerifyFn", "Arn"]}},
        }
    }
    assert json.loads(_definition(resource, {"VerifyFn": "arn:fn"})) == {"A": "arn:fn", "B": "arn:fn"}
    with pytest.raises(ValueError, match="cannot resolve"):
        _definition(resource, {})
    resource["Properties"]["DefinitionString"] += "${Other}"
    with pytest.raises(ValueError, match="unresolved"):
        _definition(resource, {"VerifyFn": "arn:fn"})


API: dict[str, Any] = {
    "Resources": {
        "Rest": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "Apps": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Fn::GetAtt": ["Rest", "RootResourceId"]}, "PathPart": "applications"},
        },
        "AppId": {"Type": "AWS::ApiGateway::Resource", "Properties": {"ParentId": {"Ref": "Apps"}, "PathPart": "{id}"}},
        "Get": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "GET",
                "ResourceId": {"Ref": "AppId"},
                "AuthorizerId": {"Ref": "Auth"},
                "Integration": {
                    "Type": "AWS_PROXY",
                    "Uri": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:aws:apigateway:lambda:path/functions/",
                                {"Fn::GetAtt": ["ApiFn", "Arn"]},
                                "/invocations",
                            ],
                        ]
                    },
                },
            },
        },
        "Auth": {
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "Type": "TOKEN",
                "IdentitySource": "method.request.header.Authorization",
                "AuthorizerUri": {"Fn::Join": ["", [{"Fn::GetAtt": ["AuthFn", "Arn"]}]]},
            },
        },
        "Unauthorized": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {"ResponseType": "UNAUTHORIZED", "StatusCode": "401"},
        },
    }
}


def test_gateway_reads_routes_authorizers_and_responses() -> None:
    routes, authorizers, responses = read_api(API)
    (route,) = routes
    assert (route.method, route.resource, route.function, route.authorizer) == (
        "GET",
        "/applications/{id}",
        "ApiFn",
        "Auth",
    )
    match = route.pattern.match("/applications/abc-1")
    assert match and match.groupdict() == {"id": "abc-1"}
    assert not route.pattern.match("/applications/abc/x")
    assert authorizers["Auth"].function == "AuthFn" and authorizers["Auth"].header == "Authorization"
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert find_getatt({"a": [1, {"b": {"Fn::GetAtt": ["X", "Arn"]}}]}) == "X"


def test_authorizer_policy_evaluation() -> None:
    arn = "arn:aws:execute-api:eu-west-1:1:api/v1/GET/applications"
    allow = {"Statement": [{"Effect": "Allow", "Resource": "arn:aws:execute-api:eu-west-1:1:api/v1/*/*"}]}
    assert _policy_allows(allow, arn)
    deny = {"Statement": [*allow["Statement"], {"Effect": "Deny", "Resource": [arn]}]}
    assert not _policy_allows(deny, arn)
    assert not _policy_allows({"Statement": [{"Effect": "Allow", "Resource": "arn:other"}]}, arn)


def test_scheduled_rules_are_run_by_the_local_scheduler_not_moto() -> None:
    from localcloud.scheduler import read_schedules

    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "functions.x.handler"}},
            "Hourly": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": "rate(1 hour)",
                    "Targets": [{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Id": "t"}],
                },
            },
            "Bus": {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"source": ["x"]}}},
        }
    }
    assert set(for_moto(template)["Resources"]) == {"Fn", "Bus"}
    (schedule,) = read_schedules(template, {"Fn": "fn-physical"})
    assert (schedule.rule, schedule.seconds, schedule.functions) == ("Hourly", 3600, ("fn-physical",))


def test_literal_segment_wins_over_a_parameter() -> None:
    import io

    from localcloud.gateway import Gateway

    template = json.loads(json.dumps(API))
    template["Resources"]["Prefill"] = {
        "Type": "AWS::ApiGateway::Resource",
        "Properties": {"ParentId": {"Ref": "Apps"}, "PathPart": "prefill"},
    }
    template["Resources"]["GetPrefill"] = {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "HttpMethod": "GET",
            "ResourceId": {"Ref": "Prefill"},
            "Integration": {"Uri": {"Fn::GetAtt": ["PrefillFn", "Arn"]}},
        },
    }
    calls: list[str] = []

    class Lambda:
        def invoke(self, FunctionName: str, Payload: bytes) -> dict:
            calls.append(FunctionName)
            body = json.dumps({"statusCode": 200, "body": "{}"}).encode()
            return {"Payload": io.BytesIO(body)}

    gateway = Gateway(template, {"ApiFn": "api", "PrefillFn": "prefill", "AuthFn": "auth"}, Lambda(), "r", "1")
    status, _, _ = gateway.handle("GET", "/applications/prefill", {}, b"", "127.0.0.1")
    assert status == 200 and calls == ["prefill"]


def test_old_synthesized_assemblies_are_pruned(tmp_path: Path) -> None:
    import os

    from localcloud.template import _prune

    for n in range(6):
        (tmp_path / f"a{n}").mkdir()
        os.utime(tmp_path / f"a{n}", (n, n))
    (tmp_path / "b.123.partial").mkdir()
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a4", "a5", "b.123.partial"]
