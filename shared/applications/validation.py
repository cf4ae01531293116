"""Validate an application body and return every error at once, as field-level codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.applications.models import ApplicationBody
from shared.applications.typo_help import inn_suggestions, snils_suggestions
from shared.core import identifiers
from shared.core.errors import FieldError, InvalidApplication
from shared.core.messages import APPLICATION_SUGGESTIONS_HINT, field_message, field_text

_CUSTOM_PREFIXES = (
    "inn_",
    "snils_",
    "passport_",
    "division_",
    "phone_",
    "email_",
    "birth_",
    "name_",
    "address_",
)
_TYPE_CODES = {
    "missing": "missing_field",
    "model_type": "invalid_type",
    "dict_type": "invalid_type",
    "string_type": "invalid_type",
    "enum": "invalid_value",
    "literal_error": "invalid_value",
}


def _code(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind.startswith(_CUSTOM_PREFIXES):
        return kind
    if kind in _TYPE_CODES:
        return _TYPE_CODES[kind]
    if kind.startswith("date"):
        return "date_format"
    return "invalid_value"


def _field(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or "body"


def _message(code: str, error: ErrorDetails) -> str:
    if code == "date_format":
        return field_message("date_format")
    if code in ("invalid_value", "invalid_type") and error["type"] == "enum":
        return field_text("enum_value")
    return field_message(code)


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _passport_validity(raw: dict[str, Any], today: date) -> FieldError | None:
    """Cross-field rule (birth date x issue date), checked even when other fields failed."""
    birth = _date(raw.get("birth_date"))
    passport = raw.get("passport")
    issued = _date(passport.get("issued_on")) if isinstance(passport, dict) else None
    if birth is None or issued is None:
        return None
    code = identifiers.passport_issue_error(birth, issued, today)
    if code is None:
        return None
    return FieldError(field="passport.issued_on", code=code, message=field_message(code))


def _with_suggestions(error: FieldError, raw: dict[str, Any]) -> FieldError:
    """Add the valid numbers one typo away, when there are few (see shared.applications.typo_help)."""
    helpers = {("inn", "inn_checksum"): inn_suggestions, ("snils", "snils_checksum"): snils_suggestions}
    helper = helpers.get((error.field, error.code))
    if helper is None:
        return error
    found = helper(str(raw.get(error.field, "")).strip())
    if not found:
        return error
    hint = APPLICATION_SUGGESTIONS_HINT.format(numbers=", ".join(found))
    return error.model_copy(update={"suggestions": found, "message": error.message + hint})


def parse_contacts(raw: dict[str, Any]) -> dict[str, str]:
    """A contact correction: phone, email and/or confirmation_channel, checked as in the application."""
    allowed = {"phone", "email", "confirmation_channel"}
    given = {k: v for k, v in raw.items() if k in allowed}
    if not given:
        raise InvalidApplication(
            [FieldError(field="phone", code="missing_field", message=field_text("contacts_missing"))]
        )
    errors: list[FieldError] = []
    checked: dict[str, str] = {}
    for name, value in given.items():
        try:
            checked[name] = str(
                ApplicationBody.__pydantic_validator__.validate_assignment(
                    ApplicationBody.model_construct(), name, value
                ).__dict__[name]
            )
        except ValidationError as exc:
            for error in exc.errors():
                code = _code(error)
                errors.append(FieldError(field=name, code=code, message=_message(code, error)))
    if errors:
        raise InvalidApplication(errors)
    return checked


def parse_application(raw: Any, *, today: date) -> tuple[ApplicationBody, list[FieldError]]:
    """Return the normalised body and its warnings, or raise InvalidApplication with all errors."""
    if not isinstance(raw, dict):
        raise InvalidApplication([FieldError(field="body", code="invalid_json", message=field_message("invalid_json"))])
    errors: list[FieldError] = []
    body: ApplicationBody | None = None
    try:
        body = ApplicationBody.model_validate(raw, context={"today": today})
    except ValidationError as exc:
        for error in exc.errors():
            code = _code(error)
            errors.append(FieldError(field=_field(error), code=code, message=_message(code, error)))
    fields_with_errors = {e.field for e in errors}
    if "birth_date" not in fields_with_errors and "passport.issued_on" not in fields_with_errors:
        validity = _passport_validity(raw, today)
        if validity:
            errors.append(validity)
    if errors or body is None:
        raise InvalidApplication([_with_suggestions(e, raw) for e in errors])
    warnings = []
    if body.inn and not identifiers.inn_region_known(body.inn):
        warnings.append(FieldError(field="inn", code="inn_region_unknown", message=field_message("inn_region_unknown")))
    return body, warnings
