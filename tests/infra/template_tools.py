"""Small readers for a synthesized CloudFormation template (plain dicts, no jsii)."""

from __future__ import annotations

import json
import re
from typing import Any

Template = dict[str, Any]


def of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: Template, kind: str, contains: str = "") -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in of_type(template, kind).items() if contains in k]
    assert len(found) == 1, f"expected one {kind} with {contains!r} in its id, found {[k for k, _ in found]}"
    return found[0]


def service_functions(template: Template) -> dict[str, dict[str, Any]]:
    """The service's own functions (not CDK's deploy-time helpers such as the bucket-notification handler)."""
    return {
        k: v
        for k, v in of_type(template, "AWS::Lambda::Function").items()
        if str(v["Properties"].get("Handler", "")).startswith("functions.")
    }


def function(template: Template, construct_id: str) -> tuple[str, dict[str, Any]]:
    """The Lambda function whose construct id (architecture.md) is `construct_id`."""
    pattern = re.compile(rf"^Functions{construct_id}[0-9A-F]{{8}}$")
    found = [(k, v) for k, v in of_type(template, "AWS::Lambda::Function").items() if pattern.match(k)]
    assert len(found) == 1, f"no function {construct_id} in the template"
    return found[0]


def ref_id(node: Any) -> str:
    """The logical id a {Ref} or {Fn::GetAtt} names."""
    if "Ref" in node:
        return str(node["Ref"])
    return str(node["Fn::GetAtt"][0])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every IAM statement attached to a role (its inline policies and the AWS::IAM::Policy ones)."""
    role = template["Resources"][role_id]["Properties"]
    out = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for policy in of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def function_statements(template: Template, construct_id: str) -> list[dict[str, Any]]:
    _, fn = function(template, construct_id)
    return role_statements(template, ref_id(fn["Properties"]["Role"]))


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource) pairs the statements allow; a resource is rendered as compact JSON."""
    out = set()
    for s in statements:
        if s["Effect"] != "Allow":
            continue
        for action in as_list(s["Action"]):
            for resource in as_list(s["Resource"]):
                out.add((action, resource if isinstance(resource, str) else json.dumps(resource, sort_keys=True)))
    return out


def arn_of(logical_id: str) -> str:
    return json.dumps({"Fn::GetAtt": [logical_id, "Arn"]}, sort_keys=True)


def mentions(resource: str, logical_id: str) -> bool:
    return f'"{logical_id}"' in resource
