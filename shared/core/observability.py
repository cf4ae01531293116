"""Logging with personal data masked by one mechanism: the formatter every function's logger uses.

Whatever a log line carries (a message, an extra key, an exception text), INN, SNILS, passport
numbers and phones leave the process as `********2259`.
"""

from __future__ import annotations

import re

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

_PATTERNS = (
    re.compile(r"(?<![\w-])\d{3}-\d{3}-\d{3}[ -]\d{2}(?![\w-])"),  # SNILS
    re.compile(r"(?<![\w-])\d{2} ?\d{2} \d{6}(?![\w-])"),  # passport series and number
    re.compile(r"\+?(?<![\w:-])\d{10,12}(?![\w-])"),  # INN, phone, passport without spaces
)


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return mask_text(super().serialize(log))


def get_logger() -> Logger:
    return Logger(logger_formatter=MaskingFormatter())
