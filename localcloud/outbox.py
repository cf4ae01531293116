"""What the service sent (SMS through SNS, email through SES), read from moto's own records.

The notification adapters call SNS and SES exactly as in AWS; moto keeps what they sent, and
the outbox shows it so a person can read a code. moto stores no send time: the first time the
outbox sees a message stands in for it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any


class Outbox:
    def __init__(self, account: str, region: str) -> None:
        self._account, self._region = account, region
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def _stamp(self, key: str) -> str:
        with self._lock:
            return self._seen.setdefault(key, datetime.now(UTC).isoformat())

    def messages(self) -> list[dict[str, Any]]:
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        out: list[dict[str, Any]] = []
        for message_id, (phone, text) in list(sns_backends[self._account][self._region].sms_messages.items()):
            out.append({"channel": "sms", "to": phone, "text": text, "sent_at": self._stamp(f"sms:{message_id}")})
        for message in list(ses_backends[self._account][self._region].sent_messages):
            destinations = getattr(message, "destinations", {}) or {}
            recipients = [
                a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])
            ]
            text = str(getattr(message, "body", None) or getattr(message, "raw_data", ""))
            for address in recipients or [""]:
                out.append(
                    {
                        "channel": "email",
                        "to": address.lower(),
                        "text": text,
                        "sent_at": self._stamp(f"email:{message.id}:{address}"),
                    }
                )
        return sorted(out, key=lambda m: m["sent_at"])
