"""The TEST ONLY certificate authority of the signed-XML channel, and helpers to sign applications with it.

The CA is committed in `localcloud/test_ca/` (`ca.pem` is the trust store the local cloud gives the
signed-XML route, `ca.key` its private key, public on purpose: see the README there). It was made by
`python -m localcloud.test_ca`, which makes a new one. The tests, and anyone trying the signed-XML
route against `make dev`, use:

- `trust_store_pem()`: the bytes `shared.signed_xml.channel.verify_signed_application` takes;
- `issue_citizen("valid" | "expired" | "rogue", snils=...)`: a signing certificate and its key, issued
  by the test CA (valid now, or expired yesterday) or by a rogue CA that bears the test CA's very name
  but not its key, so only a real signature check can tell them apart;
- `signed_application(body)`: the body (the JSON API's dict) as a document signed by a citizen whose
  certificate carries the body's SNILS, ready to POST to `/applications/signed` (the unsigned
  document comes from `localcloud/signed_xml_builder.py`).

Keys are EC P-256 (RSA 2048 on request), generated once per process and cached: a test signs in about
a millisecond. Nothing here is for production: the service never imports this module.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from localcloud.signed_xml_builder import build_application_xml
from shared.signed_xml.channel import SNILS_OID

CA_DIR = Path(__file__).resolve().parent / "test_ca"
CA_CERT_FILE = CA_DIR / "ca.pem"
CA_KEY_FILE = CA_DIR / "ca.key"
CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tax-cabinet-onboarding TEST ONLY"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Tax Cabinet TEST CA (local cloud only)"),
    ]
)
CA_LIFETIME = timedelta(days=20 * 365 + 5)
CITIZEN_NAME = "Тестовый заявитель"  # no real person: tests never put a name in a certificate

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
KeyType = Literal["ec", "rsa"]


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: PrivateKey

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Citizen:
    """A signing key, its certificate and the intermediates to send with it (none for the test CA)."""

    key: PrivateKey
    certificate: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()


@functools.cache
def key(slot: str, key_type: KeyType = "ec") -> PrivateKey:
    """A private key per (slot, type), made once per process: RSA generation takes a good 50 ms."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def load_test_ca() -> Authority:
    """The committed test CA (certificate and key from `localcloud/test_ca/`)."""
    certificate = x509.load_pem_x509_certificate(CA_CERT_FILE.read_bytes())
    private = serialization.load_pem_private_key(CA_KEY_FILE.read_bytes(), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TypeError(f"{CA_KEY_FILE}: expected an EC or RSA key")
    return Authority(certificate=certificate, key=private)


def trust_store_pem() -> bytes:
    """The trust store for the signed-XML channel in the local cloud and tests: the test CA, PEM."""
    return CA_CERT_FILE.read_bytes()


def new_ca(
    *,
    name: x509.Name = CA_NAME,
    private: PrivateKey | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    issuer: Authority | None = None,
    path_length: int = 0,
) -> Authority:
    """A CA certificate, self-signed or (with `issuer`) an intermediate; by default valid from yesterday
    for 20 years and allowed to issue end-entity certificates only (`path_length=0`)."""
    private = private or key("ca")
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    public = private.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or start + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    certificate = builder.sign(issuer.key if issuer else private, hashes.SHA256())
    return Authority(certificate=certificate, key=private)


@functools.cache
def rogue_ca() -> Authority:
    """An untrusted CA with the test CA's exact name and its own key."""
    return new_ca(private=key("rogue-ca"))


def issue_certificate(
    issuer: Authority,
    *,
    not_before: datetime,
    not_after: datetime,
    snils: str | None = None,
    slot: str = "citizen",
    key_type: KeyType = "ec",
) -> Citizen:
    """A citizen's signing certificate from `issuer`; `snils` (any form) goes in as OID 1.2.643.100.3."""
    private = key(slot, key_type)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, CITIZEN_NAME)]
    if snils is not None:
        attributes.append(x509.NameAttribute(x509.ObjectIdentifier(SNILS_OID), re.sub(r"\D", "", snils)))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(issuer.certificate.subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return Citizen(key=private, certificate=certificate)


def issue_citizen(
    kind: Literal["valid", "expired", "rogue"] = "valid",
    *,
    snils: str | None = None,
    now: datetime | None = None,
    key_type: KeyType = "ec",
) -> Citizen:
    """A ready-made signer: `valid` (test CA, from yesterday for a year), `expired` (test CA, ended
    yesterday) or `rogue` (valid dates, issued by `rogue_ca()`)."""
    now = now or datetime.now(UTC)
    if kind == "expired":
        return issue_certificate(
            load_test_ca(),
            not_before=now - timedelta(days=400),
            not_after=now - timedelta(days=1),
            snils=snils,
            key_type=key_type,
        )
    issuer = rogue_ca() if kind == "rogue" else load_test_ca()
    return issue_certificate(
        issuer, not_before=now - timedelta(days=1), not_after=now + timedelta(days=365), snils=snils, key_type=key_type
    )


def sign_xml(document: bytes, citizen: Citizen) -> bytes:
    """Sign `document` enveloped (Reference URI="", the whole document) with signxml's XMLSigner."""
    from lxml import etree
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

    method = SignatureMethod.RSA_SHA256 if isinstance(citizen.key, rsa.RSAPrivateKey) else SignatureMethod.ECDSA_SHA256
    signer = XMLSigner(signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256)
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    signed = signer.sign(root, key=citizen.key, cert=[citizen.certificate, *citizen.intermediates])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def signed_application(
    body: Mapping[str, Any], citizen: Citizen | None = None, *, signed_at: datetime | None = None
) -> bytes:
    """`body` as a signed document for `POST /applications/signed`. By default the signer is a valid
    test-CA citizen whose certificate carries the body's SNILS, and the signing time is now."""
    if citizen is None:
        citizen = issue_citizen(snils=body.get("snils"))
    return sign_xml(build_application_xml(body, signed_at or datetime.now(UTC)), citizen)


def generate(directory: Path = CA_DIR) -> Authority:
    """Make a new test CA (EC P-256, 20 years from a month ago) and write `ca.pem` and `ca.key` into `directory`."""
    # Backdated a month: tests sign at times up to the 7-day age limit in the past, and the CA must
    # already have been valid then.
    authority = new_ca(
        private=ec.generate_private_key(ec.SECP256R1()), not_before=datetime.now(UTC) - timedelta(days=30)
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.pem").write_bytes(authority.pem())
    (directory / "ca.key").write_bytes(
        authority.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return authority


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def main() -> int:
    authority = generate()
    certificate = authority.certificate
    print(
        f"TEST ONLY CA written to {CA_DIR}: serial {certificate.serial_number:x}, valid "
        f"{certificate.not_valid_before_utc:%Y-%m-%d} .. {certificate.not_valid_after_utc:%Y-%m-%d}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
