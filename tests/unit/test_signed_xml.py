"""The signed-XML channel: a signed document becomes the JSON body, and every way to cheat is refused."""

from __future__ import annotations

import base64
import copy
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

from localcloud import test_ca
from localcloud.signed_xml_builder import build_application_xml
from shared.applications.validation import parse_application
from shared.signed_xml.channel import (
    DS_NAMESPACE,
    MAX_DOCUMENT_BYTES,
    MESSAGES,
    NAMESPACE,
    SignedXmlError,
    verify_signed_application,
)
from tests.support.fakes import VALID_BODY

NOW = datetime.now(UTC)
TRUST = test_ca.trust_store_pem()
NS = {"a": NAMESPACE, "ds": DS_NAMESPACE}


def signed(body: dict[str, Any] = VALID_BODY, citizen: test_ca.Citizen | None = None, **kwargs: Any) -> bytes:
    """Signed at NOW, the time the checks use: under xdist a test may run minutes after import."""
    kwargs.setdefault("signed_at", NOW)
    return test_ca.signed_application(body, citizen, **kwargs)


def refused(document: bytes, trust: bytes = TRUST, now: datetime = NOW) -> SignedXmlError:
    with pytest.raises(SignedXmlError) as caught:
        verify_signed_application(document, trust, now)
    error = caught.value
    assert str(error) == error.code  # nothing but the code reaches a log line
    assert error.message.startswith(MESSAGES[error.code])
    return error


def sign_tree(root: Any, citizen: test_ca.Citizen, **kwargs: Any) -> Any:
    """Sign an lxml tree as a signing tool might (for documents the helpers would not build)."""
    from signxml import SignatureMethod, XMLSigner

    signer = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256)
    return signer.sign(root, key=citizen.key, cert=[citizen.certificate], **kwargs)


def citizen() -> test_ca.Citizen:
    return test_ca.issue_citizen(snils=VALID_BODY["snils"])


# --- the valid path ------------------------------------------------------------------------------


def test_valid_document_gives_the_json_body_with_the_signed_channel() -> None:
    signed_at = NOW - timedelta(minutes=3)
    result = verify_signed_application(signed(signed_at=signed_at), TRUST, NOW)
    assert result.application == {**VALID_BODY, "channel": "signed_xml"}
    assert result.signed_at == signed_at
    body, _ = parse_application(result.application, today=NOW.date())  # the same submission logic takes it
    assert body.channel == "signed_xml"
    assert body.passport.series == "4509"


def test_signer_is_described_without_personal_data() -> None:
    signer_cert = citizen()
    result = verify_signed_application(signed(citizen=signer_cert), TRUST, NOW)
    info = result.signer
    assert info.issuer_cn == "Tax Cabinet TEST CA (local cloud only)"
    assert info.serial_hex == format(signer_cert.certificate.serial_number, "x")
    assert info.sha256_fingerprint == signer_cert.certificate.fingerprint(hashes.SHA256()).hex()
    assert result.signer_snils == "11223344595"
    logged = repr(result) + repr(info.as_log())
    for personal in ("Иванов", test_ca.CITIZEN_NAME, "11223344595", "112-233-445 95", "500100732259"):
        assert personal not in logged


def test_optional_fields_absent_or_present_round_trip() -> None:
    body = copy.deepcopy(VALID_BODY)
    body.pop("inn")
    body["full_name"] = {"last": "Петрова", "first": "Анна", "middle": None}
    body["address"] = {"text": "г. Казань, ул. Баумана, д. 2", "fias_id": "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"}
    body["workplace"] = "ООО «Ромашка»"
    result = verify_signed_application(signed(body), TRUST, NOW)
    assert result.application == {**body, "inn": None, "channel": "signed_xml"}


def test_rsa_signature_is_accepted() -> None:
    rsa_citizen = test_ca.issue_citizen(snils=VALID_BODY["snils"], key_type="rsa")
    document = signed(citizen=rsa_citizen)
    assert b"rsa-sha256" in document
    assert verify_signed_application(document, TRUST, NOW).application["snils"] == VALID_BODY["snils"]


def test_chain_through_an_intermediate_sent_in_the_signature() -> None:
    root = test_ca.new_ca(private=test_ca.key("chain-root"), path_length=1)
    middle_name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Test intermediate CA")])
    middle = test_ca.new_ca(name=middle_name, private=test_ca.key("chain-middle"), issuer=root)
    leaf = test_ca.issue_certificate(middle, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    with_chain = test_ca.Citizen(leaf.key, leaf.certificate, intermediates=(middle.certificate,))
    assert verify_signed_application(signed(citizen=with_chain), root.pem(), NOW).signer.issuer_cn == (
        "Test intermediate CA"
    )
    assert refused(signed(citizen=leaf), trust=root.pem()).code == "certificate_untrusted"  # intermediate not sent


def test_certificate_without_snils_is_accepted_and_says_so() -> None:
    result = verify_signed_application(signed(citizen=test_ca.issue_citizen(snils=None)), TRUST, NOW)
    assert result.signer_snils is None


def test_signing_time_slightly_ahead_is_within_the_clock_skew() -> None:
    result = verify_signed_application(signed(signed_at=NOW + timedelta(minutes=2)), TRUST, NOW)
    assert result.signed_at == NOW + timedelta(minutes=2)


# --- signature ---------------------------------------------------------------------------------


def test_text_changed_after_signing_is_signature_invalid() -> None:
    document = signed()
    tampered = document.replace(b"<number>123456</number>", b"<number>654321</number>")
    assert tampered != document
    assert refused(tampered).code == "signature_invalid"


def test_signature_by_another_key_than_the_certificate_is_signature_invalid() -> None:
    document = signed()
    other = test_ca.issue_certificate(
        test_ca.load_test_ca(),
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        snils=VALID_BODY["snils"],
        slot="someone-else",
    )
    root = etree.fromstring(document)
    element = root.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    element.text = base64.b64encode(other.certificate.public_bytes(Encoding.DER)).decode()
    assert refused(etree.tostring(root)).code == "signature_invalid"


def test_unsigned_document_is_signature_missing() -> None:
    error = refused(build_application_xml(VALID_BODY, NOW))
    assert (error.code, error.field) == ("signature_missing", "signature")


def test_two_signatures_are_signature_invalid() -> None:
    root = etree.fromstring(signed())
    signature = root.find("ds:Signature", NS)
    root.insert(0, copy.deepcopy(signature))
    assert refused(etree.tostring(root)).code == "signature_invalid"


def test_signature_nested_below_the_root_is_signature_invalid() -> None:
    root = etree.fromstring(signed())
    signature = root.find("ds:Signature", NS)
    root.find("a:address", NS).append(signature)
    assert refused(etree.tostring(root)).code == "signature_invalid"


# --- wrapping attacks ----------------------------------------------------------------------------


def _attacker_body() -> dict[str, Any]:
    body = copy.deepcopy(VALID_BODY)
    body["email"] = "attacker@example.ru"
    body["phone"] = "+79990000000"
    return body


def test_wrapping_by_id_reference_is_refused_though_naive_verification_passes() -> None:
    """The classic attack: the signature covers an element found by Id, moved under an unsigned root."""
    victim = etree.fromstring(build_application_xml(VALID_BODY, NOW))
    victim.set("Id", "signed")
    victim = sign_tree(victim, citizen(), reference_uri="#signed")
    signature = victim.find("ds:Signature", NS)
    victim.remove(signature)
    attack = etree.fromstring(build_application_xml(_attacker_body(), NOW))
    attack.append(victim)
    attack.append(signature)
    document = etree.tostring(attack)

    # What a naive consumer would see: a valid signature, and the attacker's data at the root.
    naive = XMLVerifier().verify(
        document, x509_cert=citizen().certificate, expect_config=SignatureConfiguration(location="./")
    )
    assert not isinstance(naive, list) and naive.signed_xml is not None
    assert naive.signed_xml.findtext("a:email", namespaces=NS) == VALID_BODY["email"]  # what was signed
    assert etree.fromstring(document).findtext("a:email", namespaces=NS) == "attacker@example.ru"  # what is read

    assert refused(document).code == "signature_invalid"


def test_signed_document_moved_under_an_unsigned_application_is_refused() -> None:
    signed_root = etree.fromstring(signed())
    attack = etree.fromstring(build_application_xml(_attacker_body(), NOW))
    attack.append(signed_root)
    assert refused(etree.tostring(attack)).code == "signature_invalid"


def test_signature_moved_to_an_unsigned_root_is_signature_invalid() -> None:
    signed_root = etree.fromstring(signed())
    attack = etree.fromstring(build_application_xml(_attacker_body(), NOW))
    attack.append(signed_root.find("ds:Signature", NS))
    assert refused(etree.tostring(attack)).code == "signature_invalid"


def test_extra_unsigned_element_before_the_signed_one_is_signature_invalid() -> None:
    root = etree.fromstring(signed())
    extra = etree.Element(f"{{{NAMESPACE}}}email")
    extra.text = "attacker@example.ru"
    root.insert(0, extra)  # a reader taking the first <email> would take this one
    assert refused(etree.tostring(root)).code == "signature_invalid"


def test_extra_unsigned_application_inside_the_signed_one_is_signature_invalid() -> None:
    root = etree.fromstring(signed())
    root.insert(1, etree.fromstring(build_application_xml(_attacker_body(), NOW)))
    assert refused(etree.tostring(root)).code == "signature_invalid"


# --- certificates and time -----------------------------------------------------------------------


def test_certificate_from_a_rogue_ca_with_the_same_name_is_untrusted() -> None:
    rogue = test_ca.issue_citizen("rogue", snils=VALID_BODY["snils"])
    assert rogue.certificate.issuer == test_ca.load_test_ca().certificate.subject  # only the key differs
    error = refused(signed(citizen=rogue))
    assert (error.code, error.field) == ("certificate_untrusted", "signature")


def test_expired_certificate_is_certificate_expired() -> None:
    assert refused(signed(citizen=test_ca.issue_citizen("expired", snils=VALID_BODY["snils"]))).code == (
        "certificate_expired"
    )


def test_certificate_valid_now_but_not_yet_at_the_signing_time_is_certificate_expired() -> None:
    fresh = test_ca.issue_certificate(
        test_ca.load_test_ca(),
        not_before=NOW - timedelta(hours=1),
        not_after=NOW + timedelta(days=30),
        snils=VALID_BODY["snils"],
    )
    assert verify_signed_application(signed(citizen=fresh, signed_at=NOW), TRUST, NOW).signed_at == NOW
    assert refused(signed(citizen=fresh, signed_at=NOW - timedelta(hours=2))).code == "certificate_expired"


def test_certificate_valid_at_the_signing_time_though_expired_now_is_accepted() -> None:
    """Validity is judged at the proved signing time, not at the time of the check."""
    short = test_ca.issue_certificate(
        test_ca.load_test_ca(),
        not_before=NOW - timedelta(days=3),
        not_after=NOW - timedelta(days=1),
        snils=VALID_BODY["snils"],
    )
    result = verify_signed_application(signed(citizen=short, signed_at=NOW - timedelta(days=2)), TRUST, NOW)
    assert result.signed_at == NOW - timedelta(days=2)


def test_ca_expired_at_the_signing_time_is_certificate_expired() -> None:
    old_ca = test_ca.new_ca(
        private=test_ca.key("old-ca"), not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(days=1)
    )
    leaf = test_ca.issue_certificate(
        old_ca, not_before=NOW - timedelta(days=10), not_after=NOW + timedelta(days=30), snils=VALID_BODY["snils"]
    )
    assert refused(signed(citizen=leaf), trust=old_ca.pem()).code == "certificate_expired"


def test_signing_time_in_the_future_is_signing_time_invalid() -> None:
    error = refused(signed(signed_at=NOW + timedelta(hours=1)))
    assert (error.code, error.field) == ("signing_time_invalid", "signed_at")


def test_signing_time_too_old_is_signing_time_invalid() -> None:
    long_lived = test_ca.issue_certificate(
        test_ca.load_test_ca(),
        not_before=NOW - timedelta(days=60),
        not_after=NOW + timedelta(days=60),
        snils=VALID_BODY["snils"],
    )
    assert verify_signed_application(signed(citizen=long_lived, signed_at=NOW - timedelta(days=6)), TRUST, NOW)
    assert refused(signed(citizen=long_lived, signed_at=NOW - timedelta(days=8))).code == "signing_time_invalid"


def test_certificate_of_another_person_is_signer_mismatch() -> None:
    someone = test_ca.issue_citizen(snils="141-008-408 00")
    error = refused(signed(citizen=someone))
    assert (error.code, error.field) == ("signer_mismatch", "snils")


# --- malformed documents -------------------------------------------------------------------------


def test_not_well_formed_is_xml_malformed() -> None:
    assert refused(signed()[:-20]).code == "xml_malformed"
    assert refused(b"").code == "xml_malformed"
    assert refused(b'{"inn": "500100732259"}').code == "xml_malformed"


@pytest.mark.parametrize(
    "root",
    [
        b'<Application xmlns="urn:tax-cabinet:application:2"/>',  # another version
        b"<Application/>",  # no namespace
        b'<Zayavlenie xmlns="urn:tax-cabinet:application:1"/>',
    ],
)
def test_wrong_root_is_xml_malformed(root: bytes) -> None:
    error = refused(root)
    assert error.code == "xml_malformed"
    assert "Application" in error.message


def test_external_entity_is_refused_and_never_read() -> None:
    document = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Application [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<Application xmlns="urn:tax-cabinet:application:1"><workplace>&xxe;</workplace></Application>'
    )
    error = refused(document)
    assert error.code == "xml_malformed"
    assert "DOCTYPE" in error.message
    assert "root:" not in error.message


def test_external_dtd_and_entity_bomb_are_refused() -> None:
    external = (
        b'<!DOCTYPE Application SYSTEM "http://127.0.0.1:9/evil.dtd">'
        b'<Application xmlns="urn:tax-cabinet:application:1"/>'
    )
    bomb = (
        b'<!DOCTYPE Application [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Application xmlns="urn:tax-cabinet:application:1">'
        b"<workplace>&c;</workplace></Application>"
    )
    assert refused(external).code == "xml_malformed"
    assert refused(bomb).code == "xml_malformed"


def test_dtd_added_to_a_signed_document_is_refused() -> None:
    """Canonicalisation drops the DTD, so the signature alone would still hold: the parser must refuse it."""
    document = signed()
    declaration, rest = document.split(b"\n", 1)
    with_dtd = declaration + b'\n<!DOCTYPE Application [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + rest
    assert refused(with_dtd).code == "xml_malformed"


def test_size_is_capped() -> None:
    document = signed()
    declaration, rest = document.split(b"\n", 1)

    def padded(total: int) -> bytes:  # a comment outside the root: not signed content, so the signature holds
        filler = total - len(document) - len(b"<!---->")
        return declaration + b"\n<!--" + b"x" * filler + b"-->" + rest

    assert len(padded(MAX_DOCUMENT_BYTES)) == MAX_DOCUMENT_BYTES
    assert verify_signed_application(padded(MAX_DOCUMENT_BYTES), TRUST, NOW)
    error = refused(padded(MAX_DOCUMENT_BYTES + 1))
    assert error.code == "xml_malformed"
    assert "64 КиБ" in error.message


def _signed_tree(edit: Any) -> bytes:
    """A document changed by `edit` *before* signing: the signature holds, the content is wrong."""
    root = etree.fromstring(build_application_xml(VALID_BODY, NOW))
    edit(root)
    return etree.tostring(sign_tree(root, citizen()))


def _remove(path: str) -> Any:
    def edit(root: Any) -> None:
        element = root.find(path, NS)
        element.getparent().remove(element)

    return edit


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_remove("a:passport/a:number"), "passport.number"),
        (_remove("a:snils"), "snils"),
        (_remove("a:full_name"), "full_name"),
        (lambda root: root.append(etree.Element(f"{{{NAMESPACE}}}nickname")), "body"),
        (lambda root: root.find("a:address", NS).append(etree.Element(f"{{{NAMESPACE}}}flat")), "address"),
        (lambda root: root.append(etree.Element("{urn:other}inn")), "body"),
        (lambda root: root.append(copy.deepcopy(root.find("a:inn", NS))), "inn"),
        (lambda root: root.find("a:inn", NS).set("kind", "person"), "inn"),
        (lambda root: root.find("a:email", NS).append(etree.Element(f"{{{NAMESPACE}}}b")), "email"),
        (lambda root: root.set("version", "1"), "body"),
        (lambda root: setattr(root.find("a:passport", NS), "text", "4509 123456"), "passport"),
    ],
    ids=[
        "missing-nested",
        "missing-leaf",
        "missing-group",
        "unknown",
        "unknown-nested",
        "foreign-namespace",
        "repeated",
        "attribute",
        "markup-in-leaf",
        "root-attribute",
        "text-in-group",
    ],
)
def test_signed_but_not_in_the_format_is_xml_malformed(edit: Any, field: str) -> None:
    error = refused(_signed_tree(edit))
    assert (error.code, error.field) == ("xml_malformed", field)


@pytest.mark.parametrize("value", ["", "2026-11-27", "2026-11-27T12:00:00", "yesterday"])
def test_signing_time_without_offset_or_unreadable_is_xml_malformed(value: str) -> None:
    def edit(root: Any) -> None:
        root.find("a:signed_at", NS).text = value

    error = refused(_signed_tree(edit))
    assert (error.code, error.field) == ("xml_malformed", "signed_at")


def test_comment_inside_a_value_does_not_split_or_change_it() -> None:
    def edit(root: Any) -> None:
        element = root.find("a:workplace", NS)
        if element is None:
            element = etree.SubElement(root, f"{{{NAMESPACE}}}workplace")
        element.text = "ООО "
        element.append(etree.Comment(" note "))
        element[-1].tail = "Ромашка"

    result = verify_signed_application(_signed_tree(edit), TRUST, NOW)
    assert result.application["workplace"] == "ООО Ромашка"


# --- the contract around it ----------------------------------------------------------------------


def test_every_code_has_a_russian_message() -> None:
    for code, message in MESSAGES.items():
        assert re.fullmatch(r"[a-z_]+", code)
        assert re.search(r"[а-яё]", message.lower()), code


def test_trust_store_without_certificates_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="trust store"):
        verify_signed_application(signed(), b"not a pem", NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        verify_signed_application(signed(), TRUST, NOW.replace(tzinfo=None))


def test_builder_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="nickname"):
        build_application_xml({**VALID_BODY, "nickname": "x"}, NOW)


def test_importing_the_module_does_not_load_lxml_or_signxml() -> None:
    code = (
        "import sys, shared.signed_xml.channel; print(sorted({'lxml', 'signxml', 'cryptography'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
