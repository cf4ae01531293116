"""Every field rule, all errors at once, Russian messages, stable codes."""

import copy
from datetime import date

import pytest

from shared.applications.validation import parse_application
from shared.core.errors import InvalidApplication
from tests.support.fakes import VALID_BODY
from tests.support.identifiers import inn12

TODAY = date(2026, 11, 27)


def body(**changes: object) -> dict:
    data = copy.deepcopy(VALID_BODY)
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        if value is ...:
            target.pop(leaf)
        else:
            target[leaf] = value
    return data


def codes(raw: object) -> set[tuple[str, str]]:
    with pytest.raises(InvalidApplication) as caught:
        parse_application(raw, today=TODAY)
    for error in caught.value.errors:
        assert error.message and any("а" <= ch <= "я" for ch in error.message.lower()), error
    return {(e.field, e.code) for e in caught.value.errors}


def test_valid_body_is_normalised() -> None:
    parsed, warnings = parse_application(body(), today=TODAY)
    assert parsed.phone == "+79123456789"
    assert parsed.email == "ivanov@example.ru"
    assert parsed.passport.series == "4509"
    assert parsed.snils == "112-233-445 95"
    assert warnings == []


def test_lenient_on_form() -> None:
    parsed, _ = parse_application(
        body(snils="11223344595", phone="+7 (912) 345 67 89", full_name__last="  Иванов  ", passport__series="4509"),
        today=TODAY,
    )
    assert parsed.snils == "112-233-445 95"
    assert parsed.full_name.last == "Иванов"


def test_all_errors_at_once() -> None:
    found = codes(
        body(
            inn="500100732258",
            snils="112-233-445 96",
            phone="+7 777 123 4567",
            email="not-an-email",
            birth_date="2020-01-01",
            passport__number="12345",
            passport__division_code="770001",
        )
    )
    assert found >= {
        ("inn", "inn_checksum"),
        ("snils", "snils_checksum"),
        ("phone", "phone_format"),
        ("email", "email_format"),
        ("birth_date", "birth_date_range"),
        ("passport.number", "passport_format"),
        ("passport.division_code", "division_code_format"),
    }


def test_missing_fields_are_listed() -> None:
    found = codes(body(snils=..., full_name__first=..., passport=...))
    assert {("snils", "missing_field"), ("full_name.first", "missing_field"), ("passport", "missing_field")} <= found


@pytest.mark.parametrize(
    ("birth", "ok"),
    [
        ("1899-12-31", False),
        ("1900-01-01", True),
        ("2012-11-27", True),
        ("2012-11-28", False),
    ],
)
def test_birth_date_range(birth: str, ok: bool) -> None:
    raw = body(birth_date=birth, passport__issued_on="2026-11-27")
    if ok:
        parse_application(raw, today=TODAY)
    else:
        assert ("birth_date", "birth_date_range") in codes(raw)


def test_expired_passport_reported_with_other_errors() -> None:
    found = codes(body(passport__issued_on="2005-06-01", phone="123"))
    assert ("passport.issued_on", "passport_expired") in found
    assert ("phone", "phone_format") in found


def test_inn_may_be_omitted_to_be_found_by_passport() -> None:
    parsed, _ = parse_application(body(inn=...), today=TODAY)
    assert parsed.inn is None


def test_unknown_region_warns() -> None:
    _, warnings = parse_application(body(inn=inn12("9700000001")), today=TODAY)
    assert [w.code for w in warnings] == ["inn_region_unknown"]


@pytest.mark.parametrize("raw", [None, [], "text", 5])
def test_not_an_object(raw: object) -> None:
    assert codes(raw) == {("body", "invalid_json")}


def test_bad_date_and_channel() -> None:
    found = codes(body(birth_date="17.05.1990", channel="fax"))
    assert ("birth_date", "date_format") in found
    assert ("channel", "invalid_value") in found


def test_names() -> None:
    assert ("full_name.last", "name_format") in codes(body(full_name__last="Ив4нов"))
    parsed, _ = parse_application(body(full_name__middle=None, full_name__last="Салтыков-Щедрин"), today=TODAY)
    assert parsed.full_name.middle is None


def test_checksum_errors_suggest_near_valid_numbers() -> None:
    with pytest.raises(InvalidApplication) as caught:
        parse_application(body(inn="500100732258", snils="112-233-445 59"), today=TODAY)
    by_field = {e.field: e for e in caught.value.errors}
    assert by_field["inn"].suggestions == ["500100732259"]
    assert "500100732259" in by_field["inn"].message and "Сверьте с документом" in by_field["inn"].message
    assert "112-233-445 95" in (by_field["snils"].suggestions or [])


def test_no_suggestions_when_too_many_or_not_a_checksum_error() -> None:
    with pytest.raises(InvalidApplication) as caught:
        parse_application(body(inn="50010073225", phone="1"), today=TODAY)
    assert all(e.suggestions is None for e in caught.value.errors)
