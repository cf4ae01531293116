"""The unsigned XML document of an application body, in the signed-XML channel's format.

The inverse of what `shared.signed_xml.channel.verify_signed_application` reads. The service itself
never writes such a document (a citizen's signing tool does), so this lives with the local cloud and
its test CA (`localcloud/test_ca.py` signs what this builds) instead of in every function's package.
The format's one description stays in the channel module: the field layout is read from there, so
builder and reader cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

# The reader's own field table (private there: the service needs no public builder API).
from shared.signed_xml.channel import _FIELDS, _SIGNED_AT, NAMESPACE, ROOT_TAG

# Body keys the builder accepts but does not write: the channel is implied, and the signed channel
# has no contact confirmation step.
IMPLIED_KEYS = frozenset({"channel", "confirmation_channel"})


def build_application_xml(body: Mapping[str, Any], signed_at: datetime) -> bytes:
    """The unsigned document for an application body (the JSON API's dict).

    `None` values are left out; `channel` and `confirmation_channel` are implied, not written; any
    other key that is not an application field is a `ValueError`.
    """
    from lxml import etree

    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    known = {name for name, _, _ in _FIELDS} | IMPLIED_KEYS
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValueError(f"not an application field: {', '.join(unknown)}")
    root = etree.Element(f"{{{NAMESPACE}}}{ROOT_TAG}", nsmap={None: NAMESPACE})
    etree.SubElement(root, f"{{{NAMESPACE}}}{_SIGNED_AT}").text = signed_at.isoformat()
    for name, _, children in _FIELDS:
        value = body.get(name)
        if value is None:
            continue
        element = etree.SubElement(root, f"{{{NAMESPACE}}}{name}")
        if not children:
            element.text = _text(value)
            continue
        if not isinstance(value, Mapping):
            raise ValueError(f"{name} must be an object")
        for child, _ in children:
            if value.get(child) is not None:
                etree.SubElement(element, f"{{{NAMESPACE}}}{child}").text = _text(value[child])
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
