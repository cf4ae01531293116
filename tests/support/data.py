"""Fixed domain objects the unit tests share, matching the sample body (`VALID_BODY`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.applications.models import Channel
from shared.applications.submission import Origin
from shared.verification.ports import FnsRecord

# A citizen on the portal, as the API builds the origin of a confirmed citizen's request.
CITIZEN = Origin(allowed_channels=frozenset({Channel.PORTAL}), default_channel=Channel.PORTAL, owner_sub="u1")

# What the FNS registry holds for the sample body's taxpayer: the same person, written as the
# registry writes names (upper case, stray spaces), so a match must normalise them.
RECORD = FnsRecord(
    inn="500100732259",
    last_name="ИВАНОВ",
    first_name="иван ",
    middle_name="Иванович",
    birth_date=date(1990, 5, 17),
    passport_series="4509",
    passport_number="123456",
)

# A support ticket request of the sample body's citizen, as the form sends it.
TICKET: dict[str, Any] = {
    "inn": "500100732259",
    "full_name": {"last": "Иванов", "first": "Иван", "middle": "Иванович"},
    "phone": "8 (912) 345-67-89",
    "description": "Не приходит код подтверждения на телефон уже второй день.",
}


def partner(partner_id: str = "bank-1", request_id: str = "r-1") -> Origin:
    """A partner's message, as the intake function builds its origin."""
    return Origin(
        allowed_channels=frozenset({Channel.PARTNER}),
        default_channel=Channel.PARTNER,
        partner_id=partner_id,
        request_id=request_id,
    )
