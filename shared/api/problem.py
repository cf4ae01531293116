"""The body of every error answer (RFC 9457 problem+json) as a model: the OpenAPI document's `Problem`.

The answers are written by shared/core/messages.py `problem_body` (API Gateway's own responses and
the local gateway write them too, where no pydantic model is at hand); this model describes what it
writes, and tests/unit/test_openapi.py holds the two together: every problem the API answers in its
tests is valid by this model's schema, and no member goes undocumented (`extra="forbid"`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from shared.core.errors import FieldError


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _extension(description: str) -> Any:
    """An extension member only some codes add: absent otherwise (never null, so no `default: null`)."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class Problem(BaseModel):
    """An error answer: the stable `code` to match on, Russian `title` and `detail` to show, every
    field at fault in `errors`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: str = Field(pattern="^urn:tax-cabinet:problem:", description="`urn:tax-cabinet:problem:` and the code")
    title: str = Field(description="What happened, in Russian")
    status: Annotated[int, Field(ge=400, le=599)] = Field(description="The HTTP status of the answer")
    detail: str = Field(description="What to do about it, in Russian")
    code: str = Field(description="The stable code (English, snake_case): what a client matches on")
    errors: list[FieldError] = Field(description="Every field at fault (an invalid body or query); else empty")
    tries_left: int | SkipJsonSchema[None] = _extension("`code_invalid`: wrong tries left before the code locks")
    existing_application_id: str | SkipJsonSchema[None] = _extension(
        "`duplicate_application`: the application holding the INN, when it is the caller's own"
    )
