"""The few places where moto 5.2.5 is patched, each for a gap the local cloud cannot work around.

- Lambda: moto runs code in Docker, which is absent; `_invoke_lambda` is routed to warm worker
  processes (localcloud.lambda_runtime) that run the function's own code asset.
- KMS: CloudFormation keys are always created SYMMETRIC_DEFAULT; the template's HMAC key
  (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC) must keep its spec for GenerateMac to work.
- EventBridge: `Ref` to an AWS::Events::EventBus returns the object, not its name (a rule on a
  custom bus and the publisher's EVENT_BUS_NAME break); rule targets ignore `InputPath`/`Input`
  (a partner's queue would get the envelope instead of the event's `detail`).
- DynamoDB Streams → Lambda: delivered after the transaction commits, asynchronously, with the
  mapping's filters, batching, retries and on-failure destination (localcloud.streams).
- DynamoDB under concurrent requests: one lock (moto's DynamoDB is not thread-safe: a transaction
  could fail with a 500 or undo another request's write), and a transaction copies only the items
  it writes, not the whole table, to roll back (localcloud.moto_dynamodb).
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
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


def _input_of(target: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge sends a target: the constant `Input`, or the JSON at `InputPath`."""
    if "Input" in target:
        return str(target["Input"])
    from jsonpath_ng import parse

    matches = parse(target["InputPath"]).find(event)
    return json.dumps(matches[0].value if matches else None)


def _event_patches() -> list[tuple[Any, str, Any]]:
    import copy

    from moto.events.models import EventBus, Rule
    from moto.sqs.models import sqs_backends

    current = Rule.send_to_targets
    original = getattr(current, "__wrapped__", current)

    @functools.wraps(original)
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        given = [t for t in self.targets if "InputPath" in t or "Input" in t]
        if not given or not transform_input:
            original(self, original_event, transform_input)
            return None
        if not self.event_pattern.matches_event(original_event):
            return None
        event = dict(original_event)
        if isinstance(event.get("time"), int | float):  # EventBridge sends an RFC 3339 time
            event["time"] = datetime.fromtimestamp(float(event["time"]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for target in given:
            arn = str(target["Arn"]).split(":")
            if arn[2] != "sqs":
                raise NotImplementedError(f"local cloud: InputPath/Input for {arn[2]} targets")
            sqs_backends[self.account_id][self.region_name].send_message(
                queue_name=arn[5],
                message_body=_input_of(target, event),
                group_id=target.get("SqsParameters", {}).get("MessageGroupId"),
            )
        rest = [t for t in self.targets if t not in given]
        if rest:
            plain = copy.copy(self)
            plain.targets = rest
            original(plain, original_event, transform_input)
        return None

    return [
        (EventBus, "physical_resource_id", property(lambda self: self.name)),
        (Rule, "send_to_targets", send_to_targets),
    ]


def event_bridge_as_cloudformation_and_targets_expect() -> None:
    """A custom bus's Ref is its name; targets get their `InputPath`/`Input` (SQS targets)."""
    for owner, name, value in _event_patches():
        setattr(owner, name, value)


def deliver_dynamodb_streams() -> None:
    """Stream records after commit, through a poller per mapping (localcloud.streams)."""
    from localcloud import streams

    streams.install()


def make_dynamodb_thread_safe() -> None:
    """After deliver_dynamodb_streams(): its patch of TransactWriteItems is wrapped, not replaced."""
    from localcloud import moto_dynamodb

    moto_dynamodb.install()
