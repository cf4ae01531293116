"""The few places where moto 5.2.5 is patched, each for a gap the local cloud cannot work around.

- Lambda: moto runs code in Docker, which is absent; `_invoke_lambda` is routed to warm worker
  processes (localcloud.lambda_runtime) that run the function's own code asset.
- KMS: CloudFormation keys are always created SYMMETRIC_DEFAULT; the template's HMAC key
  (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC) must keep its spec for GenerateMac to work.
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.lambda_runtime import FunctionSpec, LambdaRuntime


def spec_of(function: Any) -> FunctionSpec:
    """What a worker needs of one of moto's LambdaFunction objects."""
    return FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        environment={k: str(v) for k, v in (function.environment_vars or {}).items()},
        timeout=int(function.timeout),
        memory=int(function.memory_size),
        code=function.code_bytes,
        code_sha=function.code_sha_256,
    )


def run_lambdas_in(runtime: LambdaRuntime) -> None:
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if event is None or event == "":
            event = {}
        elif isinstance(event, str | bytes):
            event = json.loads(event)
        payload, errored = runtime.invoke(spec_of(self), event)
        return payload, errored, ""

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def honour_kms_key_spec() -> None:
    from moto.kms.models import Key, kms_backends

    def create_from_cloudformation_json(  # moto's signature
        cls: type[Key],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Key:
        properties = cloudformation_json["Properties"]
        key = kms_backends[account_id][region_name].create_key(
            policy=json.dumps(properties["KeyPolicy"])
            if isinstance(properties["KeyPolicy"], dict)
            else properties["KeyPolicy"],
            key_usage=properties.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=properties.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=properties.get("Description"),
            tags=properties.get("Tags", []),
        )
        key.key_rotation_status = properties.get("EnableKeyRotation", False)
        key.enabled = properties.get("Enabled", True)
        return key

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]
