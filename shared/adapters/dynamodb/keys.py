"""The single-table layout: every key format and index name, in one place.

Stores, scripts, the bench and the tests build keys here and nowhere else. The table itself
(key schema, indexes, stream, TTL) is described in table.py from these names; infra/components/
storage.py declares the same names for the deployed table.

Items (pk / sk; index partitions):
- application: `APP#<id>` / `META`; by owner `OWNER#<sub>` (or `CLAIM#<snils hash>` while unowned),
  by status `STATUS#<status>` (or `QUEUE#review` while an operator's decision is awaited),
  by INN `INN#<inn hash>`
- its history lines `APP#<id>` / `HIST#<at>#<version>`, contact code `APP#<id>` / `CODE` (TTL),
  document records `APP#<id>` / `DOC#<document id>`
- INN lock `INNLOCK#<inn hash>` / `LOCK`; partner request `PARTNER#<partner>#<request>` / `REQ`
- stage durations `STATS#stage_time` / `<stage>`
- access journal `JOURNAL#<sub>` / `<at>#<entry id>` (TTL)
- change request `CHANGE#<id>` / `META`; by owner `CHANGEOWNER#<sub>`, by status `CHANGES#<status>`
- ticket `TICKET#<id>` / `META`; by owner `TICKETOWNER#<sub>`, by status `TICKETS#<status>` (sorted
  by answer target); its messages `TICKET#<id>` / `MSG#<at>#<seq>#<message id>`
- complaint `COMPLAINT#<ticket id>` / `META`; by status `COMPLAINTS`
- counters `COUNTER#<name>` / `COUNTER`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# --- the table's own attributes ----------------------------------------------------------------------
PK = "pk"
SK = "sk"
TTL = "ttl"  # transient items (contact codes, journal entries) expire
ENTITY = "entity"  # what an item is, for people reading the table


@dataclass(frozen=True)
class Index:
    """A global secondary index: `<name>pk` / `<name>sk`, projecting every attribute."""

    name: str

    @property
    def pk(self) -> str:
        return f"{self.name}pk"

    @property
    def sk(self) -> str:
        return f"{self.name}sk"


BY_OWNER = Index("gsi1")  # a citizen's applications, claimable ones, tickets and change requests
BY_STATUS = Index("gsi2")  # applications, tickets, change requests and complaints by status
BY_INN = Index("gsi3")  # applications by INN hash (the operators' search)
INDEXES = (BY_OWNER, BY_STATUS, BY_INN)

Key = dict[str, str]


def key(pk: str, sk: str) -> Key:
    return {PK: pk, SK: sk}


def stamp(at: datetime) -> str:
    """A fixed-width UTC time for sort keys: string order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- applications ------------------------------------------------------------------------------------
APP = "APP#"
META = "META"
HISTORY = "HIST#"
CODE = "CODE"
DOCUMENT = "DOC#"
REVIEW_QUEUE = "QUEUE#review"
STAGE_TIMES = "STATS#stage_time"


def application_partition(application_id: str) -> str:
    return f"{APP}{application_id}"


def application(application_id: str) -> Key:
    return key(application_partition(application_id), META)


def history_sort(at: str, version: int) -> str:
    return f"{HISTORY}{at}#{version:06d}"


def contact_code(application_id: str) -> Key:
    return key(application_partition(application_id), CODE)


def document(application_id: str, document_id: str) -> Key:
    return key(application_partition(application_id), f"{DOCUMENT}{document_id}")


def inn_lock(inn_hash: str) -> Key:
    return key(f"INNLOCK#{inn_hash}", "LOCK")


def partner_request(partner_id: str, request_id: str) -> Key:
    return key(f"PARTNER#{partner_id}#{request_id}", "REQ")


def stage_time(stage: str) -> Key:
    return key(STAGE_TIMES, stage)


def owner(owner_sub: str) -> str:
    return f"OWNER#{owner_sub}"


def claimable(snils_hash: str) -> str:
    return f"CLAIM#{snils_hash}"


def status(value: str) -> str:
    return f"STATUS#{value}"


def inn(inn_hash: str) -> str:
    return f"INN#{inn_hash}"


def is_application(keys: Mapping[str, Any]) -> bool:
    """Whether a stream record's keys are an application's own item (not its history, code, ...)."""
    return keys.get(SK) == META and str(keys.get(PK, "")).startswith(APP)


def application_id(keys: Mapping[str, Any]) -> str:
    return str(keys[PK]).removeprefix(APP)


# --- the access journal ------------------------------------------------------------------------------
def journal(subject_sub: str) -> str:
    return f"JOURNAL#{subject_sub}"


def journal_sort(at: str, entry_id: str) -> str:
    return f"{at}#{entry_id}"


# --- profile change requests -------------------------------------------------------------------------
def change_request(request_id: str) -> Key:
    return key(f"CHANGE#{request_id}", META)


def change_owner(owner_sub: str) -> str:
    return f"CHANGEOWNER#{owner_sub}"


def changes_in(status_value: str) -> str:
    return f"CHANGES#{status_value}"


# --- support tickets ---------------------------------------------------------------------------------
MESSAGE = "MSG#"
COMPLAINTS = "COMPLAINTS"


def ticket_partition(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def ticket(ticket_id: str) -> Key:
    return key(ticket_partition(ticket_id), META)


def ticket_message_sort(at: datetime, seq: int, message_id: str) -> str:
    """`seq` keeps the order of the messages one change writes at the same instant."""
    return f"{MESSAGE}{stamp(at)}#{seq:03d}#{message_id}"


def ticket_owner(owner_sub: str) -> str:
    return f"TICKETOWNER#{owner_sub}"


def tickets_in(status_value: str) -> str:
    return f"TICKETS#{status_value}"


def complaint(ticket_id: str) -> Key:
    return key(f"COMPLAINT#{ticket_id}", META)


def counter(name: str) -> Key:
    return key(f"COUNTER#{name}", "COUNTER")
