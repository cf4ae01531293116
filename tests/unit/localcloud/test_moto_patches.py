"""moto's CloudFormation keeps the template's HMAC key spec once patched."""

import json

import boto3
from moto import mock_aws

from localcloud.moto_patches import honour_kms_key_spec


@mock_aws
def test_cloudformation_hmac_key_can_generate_macs() -> None:
    honour_kms_key_spec()
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeySpec": "HMAC_256",
                    "KeyUsage": "GENERATE_VERIFY_MAC",
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                },
            }
        }
    }
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))
    key_id = cfn.describe_stack_resources(StackName="s")["StackResources"][0]["PhysicalResourceId"]
    kms = boto3.client("kms", region_name="eu-west-1")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeySpec"] == "HMAC_256"
    mac = kms.generate_mac(KeyId=key_id, Message=b"500100732259", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
