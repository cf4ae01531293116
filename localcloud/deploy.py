"""Deploy the synthesized template into the embedded moto server.

Assets go where the template expects them (the bootstrap bucket), the stack is created by moto's
CloudFormation, and then the two things it ignores are applied from the same template: the state
machine's DefinitionSubstitutions (re-created, same name and ARN, in the executing Step Functions
backend) and DynamoDB TTL settings.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from localcloud.template import STACK, for_moto, resources_of_type

ACCOUNT = "123456789012"


@dataclass
class Deployment:
    region: str
    endpoint: str
    physical: dict[str, str]  # logical id -> physical id
    outputs: dict[str, str]
    function_arns: dict[str, str] = field(default_factory=dict)  # logical id -> ARN

    def function_name(self, logical_id: str) -> str:
        return self.physical[logical_id]


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (moto)
    )


def _zip_dir(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def upload_assets(assembly: Path, endpoint: str, region: str, referenced_by: str) -> None:
    """Upload the assets the deployable template refers to (not the layer: locally the host's
    packages serve, and zipping 40 MB on every start would cost seconds)."""
    manifest = json.loads((assembly / f"{STACK}.assets.json").read_text())
    s3 = _client("s3", endpoint, region)
    made: set[str] = set()
    for asset in manifest.get("files", {}).values():
        source = assembly / asset["source"]["path"]
        for destination in asset["destinations"].values():
            if destination["objectKey"] not in referenced_by:
                continue
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", region)
            if bucket not in made:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
                made.add(bucket)
            if source.name.endswith(".json") or asset["source"].get("packaging") == "file":
                body = source.read_bytes()
            else:
                body = _zip_dir(source)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)


def _definition(resource: dict[str, Any], function_arns: dict[str, str]) -> str:
    """The state machine's definition with its substitutions applied, as Step Functions would."""
    props = resource["Properties"]
    definition = props["DefinitionString"]
    if not isinstance(definition, str):
        raise ValueError("expected an inline DefinitionString (DefinitionBody.from_string)")
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        getatt = value.get("Fn::GetAtt") if isinstance(value, dict) else None
        if not getatt or getatt[0] not in function_arns:
            raise ValueError(f"cannot resolve substitution {key}")
        definition = definition.replace("${" + key + "}", function_arns[getatt[0]])
    leftover = re.findall(r"\$\{[A-Za-z0-9]+\}", definition)
    if leftover:
        raise ValueError(f"unresolved substitutions: {leftover}")
    return definition


def _resolve(node: Any, physical: dict[str, str], function_arns: dict[str, str]) -> Any:
    """Ref (physical id) and Fn::GetAtt [function, Arn] in a fragment applied outside CloudFormation."""
    if isinstance(node, dict):
        if "Ref" in node and node["Ref"] in physical:
            return physical[node["Ref"]]
        if "Fn::GetAtt" in node and node["Fn::GetAtt"][0] in function_arns:
            return function_arns[node["Fn::GetAtt"][0]]
        return {k: _resolve(v, physical, function_arns) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, physical, function_arns) for v in node]
    return node


def deploy(template: dict[str, Any], assembly: Path, endpoint: str, region: str) -> Deployment:
    body = json.dumps(for_moto(template))
    upload_assets(assembly, endpoint, region, referenced_by=body)
    cfn = _client("cloudformation", endpoint, region)
    cfn.create_stack(StackName=STACK, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack['StackStatus']}: {stack.get('StackStatusReason')}")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"]
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    lam = _client("lambda", endpoint, region)
    function_arns = {
        logical: lam.get_function(FunctionName=physical[logical])["Configuration"]["FunctionArn"]
        for logical in resources_of_type(template, "AWS::Lambda::Function")
    }
    requests.post(f"{endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10)
    sfn = _client("stepfunctions", endpoint, region)
    for logical, resource in resources_of_type(template, "AWS::StepFunctions::StateMachine").items():
        arn = physical[logical]
        role = resource["Properties"].get("RoleArn", {}).get("Fn::GetAtt", [None])[0]
        role_arn = (
            f"arn:aws:iam::{ACCOUNT}:role/{physical[role]}"
            if role in physical
            else f"arn:aws:iam::{ACCOUNT}:role/local"
        )
        sfn.create_state_machine(
            name=arn.split(":")[-1],
            definition=_definition(resource, function_arns),
            roleArn=role_arn,
            type=resource["Properties"].get("StateMachineType", "STANDARD"),
        )
    s3 = _client("s3", endpoint, region)  # CDK's notification custom resource cannot run here: apply its config
    for resource in resources_of_type(template, "Custom::S3BucketNotifications").values():
        props = resource["Properties"]
        config = _resolve(props["NotificationConfiguration"], physical, function_arns)
        s3.put_bucket_notification_configuration(
            Bucket=_resolve(props["BucketName"], physical, function_arns), NotificationConfiguration=config
        )
    ses = _client("ses", endpoint, region)  # moto's CloudFormation skips SES identities
    for resource in resources_of_type(template, "AWS::SES::EmailIdentity").values():
        ses.verify_email_identity(EmailAddress=resource["Properties"]["EmailIdentity"])
    ddb = _client("dynamodb", endpoint, region)
    for logical, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        ttl = resource["Properties"].get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=physical[logical], TimeToLiveSpecification=ttl)
    return Deployment(region=region, endpoint=endpoint, physical=physical, outputs=outputs, function_arns=function_arns)
