"""Request bodies the API functions share, and reading a body as a JSON object."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel, ConfigDict, Field

from shared.api.request import json_body
from shared.core.errors import FieldError, InvalidInput
from shared.core.messages import field_message, field_text

REASON_LENGTH = (3, 1000)


def json_object(app: APIGatewayRestResolver) -> dict[str, Any]:
    """The body as a JSON object; anything else (no body, not JSON, a list) is one field error."""
    data = json_body(app)
    if not isinstance(data, dict):
        raise InvalidInput([FieldError(field="body", code="invalid_json", message=field_message("invalid_json"))])
    return data


class DecisionRequest(BaseModel):
    """An operator's decision after review (of an application or of a change request)."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    decision: Literal["approve", "reject"]
    reason: str = Field(description="3 to 1000 characters, once stripped of surrounding spaces")


def parse_decision(app: APIGatewayRestResolver) -> DecisionRequest:
    """Both fields checked at once: every field error in one answer."""
    body = json_object(app)
    decision, reason = body.get("decision"), body.get("reason")
    errors = []
    if decision not in ("approve", "reject"):
        errors.append(FieldError(field="decision", code="invalid_value", message=field_text("decision_value")))
    low, high = REASON_LENGTH
    if not isinstance(reason, str) or not low <= len(reason.strip()) <= high:
        errors.append(FieldError(field="reason", code="missing_field", message=field_text("decision_reason")))
    if errors:
        raise InvalidInput(errors)
    return DecisionRequest(decision=decision, reason=str(reason).strip())  # type: ignore[arg-type]
