"""Prefill: the provider's record in the body's field names, verified fields marked."""

from shared.applications.prefill import prefill

PERSON = {
    "full_name": {"last": "Иванов", "first": "Иван", "middle": "Иванович"},
    "birth_date": "1990-05-17",
    "snils": "112-233-445 95",
    "inn": "500100732259",
    "phone": "+79123456789",
    "email": "ivanov@example.ru",
    "passport": {"series": "4509", "number": "123456", "issued_on": "2015-06-01", "division_code": "770-001"},
}


def test_trusted_account_vouches_for_identity_fields() -> None:
    result = prefill({**PERSON, "trusted": True, "document_status": "VERIFIED", "phone_verified": True})
    assert result.fields["inn"] == "500100732259" and result.fields["passport"]["series"] == "4509"
    assert result.verified == ["birth_date", "full_name", "inn", "passport", "phone", "snils"]


def test_untrusted_account_prefills_but_vouches_for_nothing() -> None:
    result = prefill({**PERSON, "trusted": False, "document_status": "NOT_VERIFIED"})
    assert set(result.fields) == {"full_name", "birth_date", "snils", "inn", "phone", "email", "passport"}
    assert result.verified == []


def test_unknown_person_and_missing_fields() -> None:
    assert prefill(None).fields == {}
    result = prefill({"full_name": PERSON["full_name"], "inn": "", "trusted": True})
    assert result.fields == {"full_name": PERSON["full_name"]}
    assert result.verified == ["full_name"]
