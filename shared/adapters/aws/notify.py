"""Notifications: SMS through SNS, email through SES (the local cloud shows both in its outbox)."""

from __future__ import annotations

from shared.core.clients import client


class AwsNotifier:
    def __init__(self, email_sender: str) -> None:
        self._sender = email_sender

    def send_sms(self, phone: str, text: str) -> None:
        client("sns").publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )

    def send_email(self, to: str, subject: str, text: str) -> None:
        client("ses").send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
