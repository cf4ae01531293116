"""The signed-XML application channel: verify an enveloped XML signature and read the application.

The format (full description with an example in docs/signed_xml.md)
--------------------------------------------------------------------
One root element `Application` in the namespace `urn:tax-cabinet:application:1`. Its children carry the
application body's fields under the JSON names of docs/api.md, one element per field, text only::

    signed_at                      ISO 8601 with a UTC offset: when the citizen signed (required)
    inn                            optional (omit it to have the INN looked up by passport)
    snils, birth_date, email, phone
    full_name/{last, first, middle?}
    passport/{series, number, issued_on, division_code}
    address/{text, fias_id?}
    workplace                      optional
    ds:Signature                   XMLDSig, enveloped, a direct child of the root

Order is free; an element may appear once; unknown elements, attributes and text outside the leaves are
refused; an optional element that is absent or blank reads as null. Values are read verbatim: the
ordinary validation (`shared.applications.validation.parse_application`) normalises and checks them afterwards,
exactly as for the JSON API. `channel` is not in the document: it is always `signed_xml`.

How a document is checked, in this order, and why this way
---------------------------------------------------------
1. At most `MAX_DOCUMENT_BYTES` (64 KiB; a signed application is about 4 KiB), parsed by lxml with
   entity resolution, network access and DTD loading off, and refused outright if it has a DOCTYPE
   (canonicalisation drops the DTD, so a signature alone would not notice one added after signing):
   no XXE, no entity expansion. signxml parses again with the same hardened parser settings.
2. Exactly one `ds:Signature`, a direct child of the root (else `signature_missing` / `signature_invalid`).
3. The claimed `signed_at` must lie at most `CLOCK_SKEW` ahead of `now` and `MAX_SIGNATURE_AGE` behind
   it (`signing_time_invalid`). It is still only a claim here; step 5 proves it.
4. signxml checks the signature against the document's own signing certificate (`x509_cert=`, the
   first ds:X509Certificate; `expect_config` allows only SHA-2 RSA/ECDSA and one reference) and that
   certificate's dates at the claimed signing time (`certificate_expired`). It establishes no trust
   here: step 6 does. The reference must be `URI=""` (the whole document) with only the
   enveloped-signature and canonicalisation transforms (`signature_invalid` otherwise).
5. Everything read comes from `VerifyResult.signed_xml`, the content signxml proved was signed, never
   from the raw tree: a signature-wrapping document (a signed element moved elsewhere, an extra
   unsigned application) can never lend its signature to unsigned data. The signed `signed_at` must
   equal the claimed one.
6. Trust is decided by `cryptography.x509.verification` (PolicyBuilder with `.store()` of the trust
   store and `.time(signed_at)`), not by signxml's `ca_pem_file`, because: the trust store arrives as
   bytes (signxml wants a file path and reads it on every call); signxml falls back to certifi's public
   web CAs when no store is given, so one misconfiguration would trust any TLS certificate; and signxml
   would validate the chain before the signature, while the signing time that validation needs is a
   claim inside the signed content, trustworthy only once the signature holds. So the signature is
   proved first and the chain validated at the proved signing time: every certificate must be valid
   then (`certificate_expired`) and the chain must end in the store (`certificate_untrusted`). The
   end-entity policy is signxml's own default (KeyUsage allows digitalSignature) plus "not a CA"; CA
   certificates follow the Web PKI defaults (basicConstraints, keyCertSign).
7. When the certificate carries a SNILS (OID 1.2.643.100.3, as Russian qualified certificates do), it
   must be the application's SNILS (`signer_mismatch`): one citizen may not sign another's application.

Limits: real qualified e-signatures in Russia (63-FZ) use GOST R 34.10-2012 keys and GOST R 34.11-2012
digests, which neither signxml nor cryptography implements; this channel accepts RSA and ECDSA
(P-256/384/521) certificates for now. Revocation (CRL/OCSP) is not checked.

signxml and lxml (about 12 MB, tens of ms to import) are imported inside the functions, so a handler
that imports this module pays for them only when a signed document actually arrives.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.core.errors import DomainError, ErrorKind
from shared.core.messages import SIGNED_XML_HINTS, SIGNED_XML_MESSAGES

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.verification import ExtensionPolicy, Store

NAMESPACE = "urn:tax-cabinet:application:1"
ROOT_TAG = "Application"
DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_CERTIFICATES = 5  # leaf + intermediates carried in ds:X509Data
CLOCK_SKEW = timedelta(minutes=5)
MAX_SIGNATURE_AGE = timedelta(days=7)
SNILS_OID = "1.2.643.100.3"  # the subject's SNILS in a Russian qualified certificate (FSB order 795)
CHANNEL = "signed_xml"

# The body's fields in document order: (name, required, children). Children are (name, required).
_FIELDS: tuple[tuple[str, bool, tuple[tuple[str, bool], ...]], ...] = (
    ("inn", False, ()),
    ("snils", True, ()),
    ("birth_date", True, ()),
    ("email", True, ()),
    ("phone", True, ()),
    ("full_name", True, (("last", True), ("first", True), ("middle", False))),
    ("passport", True, (("series", True), ("number", True), ("issued_on", True), ("division_code", True))),
    ("address", True, (("text", True), ("fias_id", False))),
    ("workplace", False, ()),
)
_SIGNED_AT = "signed_at"

MESSAGES = SIGNED_XML_MESSAGES  # the base text of each refusal, in the one message table


def _hint(key: str, **params: object) -> str:
    """What exactly is wrong with the document (shared/core/messages.py), added to the code's text."""
    return SIGNED_XML_HINTS[key].format(**params)


class SignedXmlError(DomainError):
    """A signed document the service refuses: a stable `code`, a Russian `message`, the `field` at fault
    (one field error of the answer, whose code is this code).

    `str(exc)` is the code alone: neither this text nor anything signxml or cryptography said (their
    messages quote certificate subjects, i.e. names and SNILS) may reach the logs.
    """

    def __init__(self, code: str, detail: str | None = None, field: str = "body") -> None:
        from shared.applications.models import FieldError

        self.field = field
        self.message = MESSAGES[code] + (f" {detail}" if detail else "")
        super().__init__(code, ErrorKind.INVALID, errors=[FieldError(field=field, code=code, message=self.message)])


@dataclass(frozen=True)
class SignerInfo:
    """Who signed, without personal data: fit for logs and the audit journal."""

    serial_hex: str
    issuer_cn: str | None
    sha256_fingerprint: str
    not_valid_after: datetime

    def as_log(self) -> dict[str, str | None]:
        """The fields a log line or an audit record may carry."""
        return {
            "certificate_serial": self.serial_hex,
            "certificate_issuer": self.issuer_cn,
            "certificate_sha256": self.sha256_fingerprint,
            "certificate_not_after": self.not_valid_after.isoformat(),
        }


@dataclass(frozen=True)
class SignedApplication:
    """A verified document: the body as the JSON API takes it, the proved signing time, the signer.

    `application` and `signer_snils` are personal data and stay out of `repr`, so logging this object
    by mistake leaks nothing.
    """

    application: dict[str, Any] = field(repr=False)
    signed_at: datetime
    signer: SignerInfo
    signer_snils: str | None = field(default=None, repr=False)


def verify_signed_application(
    document: bytes,
    trust_store_pem: bytes,
    now: datetime,
    *,
    max_age: timedelta = MAX_SIGNATURE_AGE,
    clock_skew: timedelta = CLOCK_SKEW,
) -> SignedApplication:
    """Verify `document` (the raw request body) and return its signed application.

    `trust_store_pem` holds one or more PEM CA certificates (concatenated); `now` must be timezone-aware.
    Raises SignedXmlError for anything the citizen can fix, ValueError for a broken trust store (the
    service's own misconfiguration, not the citizen's fault).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    trust = _trust_store(trust_store_pem)
    root = _parse(document)
    _find_signature(root)
    claimed_at = _signing_time(root.find(f"{{{NAMESPACE}}}{_SIGNED_AT}"))
    if claimed_at > now + clock_skew or claimed_at < now - max_age:
        raise SignedXmlError("signing_time_invalid", field=_SIGNED_AT)
    leaf, intermediates = _certificates(root)
    signed = _verify_signature(document, leaf, claimed_at)
    application, signed_at = _read_application(signed)
    if signed_at != claimed_at:  # cannot differ when the whole document is signed; never trust the raw tree
        raise SignedXmlError("signature_invalid", field="signature")
    _verify_chain(leaf, intermediates, trust, signed_at)
    signer_snils = _certificate_snils(leaf)
    if signer_snils is not None:
        claimed_snils = re.sub(r"\D", "", application["snils"])
        if len(claimed_snils) == 11 and claimed_snils != signer_snils:
            raise SignedXmlError("signer_mismatch", field="snils")
    return SignedApplication(
        application=application, signed_at=signed_at, signer=describe_signer(leaf), signer_snils=signer_snils
    )


def describe_signer(certificate: x509.Certificate) -> SignerInfo:
    """Serial, issuer CN and fingerprint: identifies the certificate without the holder's name or SNILS."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    issuer_cn = certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return SignerInfo(
        serial_hex=format(certificate.serial_number, "x"),
        issuer_cn=str(issuer_cn[0].value) if issuer_cn else None,
        sha256_fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_valid_after=certificate.not_valid_after_utc,
    )


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _parser() -> Any:
    """A fresh hardened parser (lxml parsers are not thread-safe): no entities, no DTD, no network."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _parse(document: bytes) -> Any:
    from lxml import etree

    if not isinstance(document, bytes | bytearray):
        raise SignedXmlError("xml_malformed", _hint("not_xml"))
    if len(document) > MAX_DOCUMENT_BYTES:
        raise SignedXmlError("xml_malformed", _hint("too_large", kib=MAX_DOCUMENT_BYTES // 1024))
    try:
        root = etree.fromstring(bytes(document), parser=_parser())
    except etree.XMLSyntaxError:
        raise SignedXmlError("xml_malformed", _hint("not_well_formed")) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise SignedXmlError("xml_malformed", _hint("dtd"))
    if root.tag != _tag(NAMESPACE, ROOT_TAG):
        raise SignedXmlError("xml_malformed", _hint("root", root=ROOT_TAG, namespace=NAMESPACE))
    return root


def _find_signature(root: Any) -> Any:
    signatures = list(root.iter(_tag(DS_NAMESPACE, "Signature")))
    if not signatures:
        raise SignedXmlError("signature_missing", field="signature")
    if len(signatures) > 1 or signatures[0].getparent() is not root:
        raise SignedXmlError("signature_invalid", field="signature")
    return signatures[0]


def _signing_time(element: Any) -> datetime:
    hint = _hint("signed_at_format")
    text = (element.text or "").strip() if element is not None else ""
    try:
        parsed = datetime.fromisoformat(text) if text else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise SignedXmlError("xml_malformed", hint, field=_SIGNED_AT)
    return parsed.astimezone(UTC)


def _certificates(root: Any) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signing certificate (first in ds:X509Data) and the intermediates after it. Not trusted yet."""
    import base64
    import binascii

    from cryptography import x509

    path = "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    texts = [el.text or "" for el in root.findall(path, namespaces={"ds": DS_NAMESPACE})]
    if not texts or len(texts) > MAX_CERTIFICATES:
        raise SignedXmlError("certificate_untrusted", field="signature")
    try:
        certificates = [x509.load_der_x509_certificate(base64.b64decode("".join(t.split()))) for t in texts]
    except (ValueError, binascii.Error):
        raise SignedXmlError("certificate_untrusted", field="signature") from None
    return certificates[0], certificates[1:]


def _valid_at(certificate: x509.Certificate, at: datetime) -> bool:
    return certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc


def _verify_signature(document: bytes, leaf: x509.Certificate, signed_at: datetime) -> Any:
    """signxml's check of the signature with the leaf's key; returns the signed content (an lxml root)."""
    from cryptography.exceptions import InvalidSignature
    from lxml import etree
    from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidCertificate, SignXMLException

    config = SignatureConfiguration(
        require_x509=True,
        location="./",  # a direct child of the root: enveloped over the whole document
        expect_references=1,
        signature_methods=frozenset(
            {
                SignatureMethod.RSA_SHA256,
                SignatureMethod.RSA_SHA384,
                SignatureMethod.RSA_SHA512,
                SignatureMethod.SHA256_RSA_MGF1,
                SignatureMethod.SHA384_RSA_MGF1,
                SignatureMethod.SHA512_RSA_MGF1,
                SignatureMethod.ECDSA_SHA256,
                SignatureMethod.ECDSA_SHA384,
                SignatureMethod.ECDSA_SHA512,
            }
        ),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}),
        verification_time=signed_at,  # the leaf's validity window only: trust is _verify_chain's job
    )
    try:
        result = XMLVerifier().verify(bytes(document), x509_cert=leaf, parser=_parser(), expect_config=config)
    except InvalidCertificate:  # with x509_cert given, signxml checks only the leaf's dates (at signed_at)
        raise SignedXmlError("certificate_expired", field="signature") from None
    except (SignXMLException, InvalidSignature, etree.LxmlError, ValueError, LookupError, TypeError):
        # Malformed signature parts (bad base64, unknown algorithm, schema-invalid ds:Signature) and
        # failed digests or signatures alike: the document is not what its signer signed.
        raise SignedXmlError("signature_invalid", field="signature") from None
    if isinstance(result, list):  # expect_references=1 returns one result; a list would mean several references
        raise SignedXmlError("signature_invalid", field="signature")
    # What was verified must be the whole document: one reference, URI="", no transform that selects
    # or rewrites content (signxml silently skips transforms it does not know).
    ds = {"ds": DS_NAMESPACE}
    references = result.signature_xml.findall("ds:SignedInfo/ds:Reference", namespaces=ds)
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignedXmlError("signature_invalid", field="signature")
    allowed = {_ENVELOPED} | {method.value for method in CanonicalizationMethod}
    transforms = {t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", namespaces=ds)}
    if not transforms <= allowed:
        raise SignedXmlError("signature_invalid", field="signature")
    if result.signed_xml is None:
        raise SignedXmlError("xml_malformed", _hint("signed_not_xml"))
    return result.signed_xml


def _read_application(root: Any) -> tuple[dict[str, Any], datetime]:
    """The body dict from the *signed* content, strictly in the format (see the module docstring)."""
    if root.tag != _tag(NAMESPACE, ROOT_TAG):
        raise SignedXmlError("xml_malformed", _hint("root", root=ROOT_TAG, namespace=NAMESPACE))
    top = _children(root, "", {name: required for name, required, _ in _FIELDS} | {_SIGNED_AT: True})
    signed_at = _signing_time(top[_SIGNED_AT])
    application: dict[str, Any] = {}
    for name, required, children in _FIELDS:
        element = top.get(name)
        if not children:
            application[name] = _leaf(element, name, required)
            continue
        nested = _children(element, name, dict(children))
        application[name] = {
            child: _leaf(nested.get(child), f"{name}.{child}", child_required) for child, child_required in children
        }
    application["channel"] = CHANNEL
    return application, signed_at


def _children(parent: Any, path: str, expected: dict[str, bool]) -> dict[str, Any]:
    """The child elements of `parent` by local name: each expected one at most once, required ones present."""
    where = path or ROOT_TAG
    if parent.attrib:
        raise SignedXmlError("xml_malformed", _hint("attributes", element=where), field=path or "body")
    if (parent.text or "").strip():
        raise SignedXmlError("xml_malformed", _hint("text_outside", element=where), field=path or "body")
    found: dict[str, Any] = {}
    for child in parent:
        if not isinstance(child.tag, str):  # a comment or processing instruction: carries no data
            continue
        if (child.tail or "").strip():
            raise SignedXmlError("xml_malformed", _hint("text_outside", element=where), field=path or "body")
        namespace, _, name = child.tag[1:].partition("}") if child.tag.startswith("{") else ("", "", child.tag)
        child_path = f"{path}.{name}" if path else name
        if namespace != NAMESPACE or name not in expected:
            shown = name[:64]
            raise SignedXmlError(
                "xml_malformed", _hint("unknown_element", name=shown, element=where), field=path or "body"
            )
        if name in found:
            raise SignedXmlError("xml_malformed", _hint("repeated", element=child_path), field=child_path)
        found[name] = child
    for name, required in expected.items():
        if required and name not in found:
            child_path = f"{path}.{name}" if path else name
            raise SignedXmlError("xml_malformed", _hint("missing_element", element=child_path), field=child_path)
    return found


def _leaf(element: Any, path: str, required: bool) -> str | None:
    """A text-only element's value, verbatim (validation normalises it); an optional one absent or blank → None."""
    if element is None:
        return None
    if element.attrib:
        raise SignedXmlError("xml_malformed", _hint("attributes", element=path), field=path)
    if any(isinstance(child.tag, str) for child in element):
        raise SignedXmlError("xml_malformed", _hint("text_only", element=path), field=path)
    text = "".join(element.itertext())
    return text if required or text.strip() else None


@dataclass(frozen=True)
class _TrustStore:
    store: Store
    certificates: tuple[x509.Certificate, ...]  # kept to tell an expired CA from an unknown one


@functools.lru_cache(maxsize=4)
def _trust_store(pem: bytes) -> _TrustStore:
    """Parsed once per distinct PEM: a warm Lambda reuses it."""
    from cryptography import x509
    from cryptography.x509.verification import Store

    try:
        certificates = x509.load_pem_x509_certificates(bytes(pem))
    except ValueError as exc:
        raise ValueError("the signed-XML trust store holds no PEM certificate") from exc
    return _TrustStore(store=Store(certificates), certificates=tuple(certificates))


@functools.cache
def _policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    """(CA policy, end-entity policy); see the module docstring, point 4."""
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy, Policy

    def signs(_policy: Policy, _cert: x509.Certificate, usage: x509.KeyUsage) -> None:
        if not usage.digital_signature:
            raise ValueError("KeyUsage does not allow digitalSignature")

    def not_ca(_policy: Policy, _cert: x509.Certificate, constraints: x509.BasicConstraints | None) -> None:
        if constraints is not None and constraints.ca:
            raise ValueError("a CA certificate cannot sign an application")

    end_entity = (
        ExtensionPolicy.permit_all()
        .require_present(x509.KeyUsage, Criticality.AGNOSTIC, signs)
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, not_ca)
    )
    return ExtensionPolicy.webpki_defaults_ca(), end_entity


def _verify_chain(
    leaf: x509.Certificate, intermediates: list[x509.Certificate], trust: _TrustStore, at: datetime
) -> None:
    """The leaf chains to the trust store with every certificate valid at the signing time."""
    from cryptography.x509.verification import PolicyBuilder, VerificationError

    ca_policy, ee_policy = _policies()
    verifier = (
        PolicyBuilder()
        .store(trust.store)
        .time(at)
        .max_chain_depth(4)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError:
        # The error's text names certificate subjects (personal data): classify it, never keep it.
        issuers = {c.issuer for c in [leaf, *intermediates]}
        candidates = [*intermediates, *(c for c in trust.certificates if c.subject in issuers)]
        if any(not _valid_at(c, at) for c in candidates):
            raise SignedXmlError("certificate_expired", field="signature") from None
        raise SignedXmlError("certificate_untrusted", field="signature") from None


def _certificate_snils(certificate: x509.Certificate) -> str | None:
    from cryptography import x509

    values = certificate.subject.get_attributes_for_oid(x509.ObjectIdentifier(SNILS_OID))
    if not values:
        return None
    digits = re.sub(r"\D", "", str(values[0].value))
    return digits or None
