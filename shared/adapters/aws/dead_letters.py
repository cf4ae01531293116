"""The DeadLetters port on an SQS queue: the reason travels as string message attributes."""

from __future__ import annotations

from shared.core.clients import client


class SqsDeadLetters:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def send(self, body: str, attributes: dict[str, str]) -> None:
        client("sqs").send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
