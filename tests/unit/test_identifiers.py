"""Identifier rules: known-good vectors, edge cases, and property tests of the checksums."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core import identifiers
from tests.support.identifiers import inn12


@pytest.mark.parametrize(
    ("inn", "code"),
    [
        ("500100732259", None),
        ("500100732258", "inn_checksum"),
        ("7707083893", "inn_format"),  # an organisation's INN is not a citizen's
        ("50010073225", "inn_format"),
        ("50010073225a", "inn_format"),
        ("001234567890", "inn_region"),
    ],
)
def test_inn(inn: str, code: str | None) -> None:
    assert identifiers.inn_error(inn) == code


def test_inn_10_digits_valid_for_organisations() -> None:
    assert identifiers.inn_error("7707083893", person=False) is None


@given(st.from_regex(r"\A(0[1-9]|[1-9][0-9])[0-9]{8}\Z"))
def test_inn_checksum_property(prefix: str) -> None:
    """Any 10 digits with a non-zero region complete to exactly one valid 12-digit INN."""
    valid = inn12(prefix)
    assert identifiers.inn_error(valid) is None
    for wrong in "0123456789":
        if wrong != valid[-1]:
            assert identifiers.inn_error(valid[:-1] + wrong) == "inn_checksum"


def test_unknown_region_is_a_warning_not_an_error() -> None:
    inn = inn12("9700000001")
    assert identifiers.inn_error(inn) is None
    assert not identifiers.inn_region_known(inn)
    assert identifiers.inn_region_known("500100732259")


@pytest.mark.parametrize(
    ("snils", "code"),
    [
        ("112-233-445 95", None),
        ("11223344595", None),
        ("141-008-408 00", None),  # sum 100
        ("205-132-059 00", None),  # sum 101
        ("001-001-998 00", None),  # exempt
        ("112-233-445 96", "snils_checksum"),
        ("001-001-999 00", "snils_checksum"),
        ("112-233-445", "snils_format"),
        ("abc-233-445 95", "snils_format"),
    ],
)
def test_snils(snils: str, code: str | None) -> None:
    assert identifiers.snils_error(snils) == code


@given(st.integers(min_value=1_001_999, max_value=999_999_999))
def test_snils_checksum_property(number: int) -> None:
    digits = f"{number:09d}"
    check = identifiers.snils_checksum(digits)
    assert 0 <= check <= 99
    assert identifiers.snils_error(f"{digits}{check:02d}") is None
    assert identifiers.snils_error(f"{digits}{(check + 1) % 100:02d}") == "snils_checksum"


BIRTH = date(1990, 5, 17)


@pytest.mark.parametrize(
    ("issued", "today", "code"),
    [
        (date(2010, 6, 1), date(2026, 11, 27), None),  # issued at 20, valid until 45
        (date(2004, 6, 1), date(2010, 8, 15), None),  # at 14; 20th birthday + 90 days not passed yet
        (date(2004, 6, 1), date(2010, 8, 16), "passport_expired"),
        (date(2004, 6, 1), date(2026, 11, 27), "passport_expired"),
        (date(2004, 5, 16), date(2026, 11, 27), "passport_issue_date"),  # before 14
        (date(2027, 1, 1), date(2026, 11, 27), "passport_issue_date"),  # future
    ],
)
def test_passport_validity(issued: date, today: date, code: str | None) -> None:
    assert identifiers.passport_issue_error(BIRTH, issued, today) == code


def test_passport_replaced_at_45() -> None:
    birth = date(1970, 1, 10)
    assert identifiers.passport_issue_error(birth, date(1990, 3, 1), date(2015, 4, 9)) is None
    assert identifiers.passport_issue_error(birth, date(1990, 3, 1), date(2015, 4, 11)) == "passport_expired"
    assert identifiers.passport_issue_error(birth, date(2015, 2, 1), date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("+7 777 123 4567", None),  # Kazakhstan
        ("+1 650 253 0000", None),
        ("12345", None),
        ("телефон", None),
    ],
)
def test_phone(raw: str, e164: str | None) -> None:
    assert identifiers.normalise_phone(raw) == e164


def test_mask_keeps_last_four() -> None:
    assert identifiers.mask("500100732259") == "********2259"
    assert identifiers.mask("12") == "**"


@pytest.mark.parametrize("inn", ["500100732259\n", "٥00100732259", " 500100732259"])
def test_inn_form_is_ascii_digits_only(inn: str) -> None:
    assert identifiers.inn_error(inn) == "inn_format"
