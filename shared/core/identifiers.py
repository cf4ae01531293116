"""Russian identifiers: INN, SNILS, passport, phone.

Checksums follow the FNS and Pension Fund algorithms (docs/api.md). The INN checksum comes from
python-stdnum; SNILS has no maintained library, so its rule is written here. Every check returns
an error code (stable, English) or None, so callers can collect all errors of a form at once.
"""

from __future__ import annotations

import re
from datetime import date

# Subject codes in use for tax offices (01-95) and the inter-regional inspectorates (99).
# Codes outside this set are a warning, not an error: FNS may assign new ones.
KNOWN_INN_REGIONS = frozenset({f"{n:02d}" for n in range(1, 96)} | {"99"})

_DIGITS = re.compile(r"[0-9]+")
_INN_FORM = re.compile(r"^(?:[0-9]{10}|[0-9]{12})$")
_SNILS_FORM = re.compile(r"^\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}$", re.ASCII)
_DIVISION_CODE = re.compile(r"^\d{3}-\d{3}$", re.ASCII)
_SNILS_UNCHECKED_MAX = 1001998  # numbers up to 001-001-998 carry no checksum


def inn_error(value: str, *, person: bool = True) -> str | None:
    """Return the error code for an INN, or None if it is valid.

    A citizen's INN has 12 digits; organisations' 10-digit INNs are refused for a person.
    """
    if not _INN_FORM.fullmatch(value):
        return "inn_format"
    if person and len(value) != 12:
        return "inn_format"
    if value[:2] == "00":
        return "inn_region"
    from stdnum.exceptions import InvalidChecksum, ValidationError  # lazy: only INN checks pay its import
    from stdnum.ru import inn as stdnum_inn

    try:
        stdnum_inn.validate(value)
    except InvalidChecksum:
        return "inn_checksum"
    except ValidationError:
        return "inn_format"
    return None


def inn_region_known(value: str) -> bool:
    return value[:2] in KNOWN_INN_REGIONS


def snils_digits(value: str) -> str | None:
    """Normalise a SNILS written with spaces or dashes to 11 digits; None if the form is wrong."""
    stripped = value.strip()
    if not _SNILS_FORM.fullmatch(stripped):
        return None
    return "".join(_DIGITS.findall(stripped))


def snils_checksum(number9: str) -> int:
    """Control number of a SNILS: Σ dᵢ·(10−i) mod 101 mod 100."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(number9))
    return total % 101 % 100


def snils_error(value: str) -> str | None:
    digits = snils_digits(value)
    if digits is None:
        return "snils_format"
    number, check = digits[:9], int(digits[9:])
    if int(number) <= _SNILS_UNCHECKED_MAX:
        return None
    if snils_checksum(number) != check:
        return "snils_checksum"
    return None


def format_snils(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def division_code_ok(value: str) -> bool:
    return bool(_DIVISION_CODE.fullmatch(value.strip()))


def birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # born on 29 February
        return date(birth.year + years, 3, 1)


def passport_issue_error(birth: date, issued_on: date, today: date) -> str | None:
    """Passports are issued from 14 and replaced at 20 and 45 (90 days of grace after those birthdays)."""
    if issued_on > today or issued_on < birthday(birth, 14):
        return "passport_issue_date"
    for age in (20, 45):
        replace_at = birthday(birth, age)
        if issued_on < replace_at and today > date.fromordinal(replace_at.toordinal() + 90):
            return "passport_expired"
    return None


def normalise_phone(value: str) -> str | None:
    """E.164 for a Russian number (`8 (912) ...` accepted); None for anything else, Kazakhstan's +7 7xx included."""
    import phonenumbers  # lazy: its metadata is only needed when a phone is checked

    try:
        parsed = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.region_code_for_number(parsed) != "RU":
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(value: str, keep: int = 4) -> str:
    """`********2259`: what may be shown of an identifier in a log or a message."""
    digits = "".join(_DIGITS.findall(value)) or value
    if len(digits) <= keep:
        return "*" * len(digits)
    return "*" * (len(digits) - keep) + digits[-keep:]
