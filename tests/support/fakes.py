"""In-memory adapters of the ports for tests of the domain logic; tests/integration/test_store_contracts.py
runs the same tests against each store fake and its DynamoDB adapter, so they cannot drift."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from shared.applications.models import Application, HistoryEntry, Stage, Status
from shared.applications.ports import REVIEW_QUEUE, Shelf, Transition
from shared.contact.ports import ContactCode
from shared.core.errors import (
    ConcurrentUpdate,
    DuplicateApplication,
    DuplicatePartnerRequest,
    FnsUnavailable,
    InvalidPageToken,
    TransientStorageError,
)
from shared.core.paging import Page
from shared.journal.access import AccessEntry
from shared.profile.changes import ChangeRequest
from shared.support.models import Complaint, Ticket, TicketMessage, TicketStatus
from shared.verification.ports import FnsRecord, InnQuery

T = TypeVar("T")

VALID_BODY: dict = {
    "inn": "500100732259",
    "snils": "112-233-445 95",
    "birth_date": "1990-05-17",
    "email": "Ivanov@Example.ru",
    "phone": "8 (912) 345-67-89",
    "full_name": {"last": "Иванов", "first": "Иван", "middle": "Иванович"},
    "passport": {"series": "45 09", "number": "123456", "issued_on": "2015-06-01", "division_code": "770-001"},
    "address": {"text": "г. Москва, ул. Тверская, д. 1, кв. 1", "fias_id": None},
    "workplace": None,
    "channel": "portal",
}


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at


class FakeHasher:
    def digest(self, value: str) -> str:
        return hashlib.sha256(b"k" + value.encode()).hexdigest()


class FakeWorkflow:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.fail_next = False

    def start(
        self, application_id: str, correlation_id: str, *, confirm_contact: bool = False, has_inn: bool = True
    ) -> str:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("states unavailable")
        if application_id not in self.started:
            self.started.append(application_id)
        return f"arn:aws:states:eu-west-1:1:execution:onboarding:{application_id}"


def _token(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"scope": scope, "offset": offset}).encode()).decode()


def paged(items: Sequence[T], limit: int, next_token: str | None, scope: str) -> Page[T]:
    """A page of an already ordered list; like the table, a token only continues the list it came
    from (`scope`), anything else is InvalidPageToken."""
    offset = 0
    if next_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(next_token.encode()))
        except ValueError:
            raise InvalidPageToken() from None
        if not isinstance(decoded, dict) or decoded.get("scope") != scope or not isinstance(decoded.get("offset"), int):
            raise InvalidPageToken()
        offset = decoded["offset"]
    end = offset + limit
    return Page(items=list(items[offset:end]), next_token=_token(scope, end) if end < len(items) else None)


def _in_review(app: Application) -> bool:
    return app.stage is Stage.REVIEW and app.status is Status.IN_PROGRESS


class InMemoryApplications:
    """ApplicationStore and Claims in memory: versions, INN locks and partner keys checked like the
    table's conditional writes (tests/integration/test_store_contracts.py holds both to one set of tests)."""

    def __init__(self) -> None:
        self.apps: dict[str, Application] = {}
        self.hist: dict[str, list[HistoryEntry]] = {}
        self.locks: dict[str, tuple[str, str | None]] = {}
        self.partner: dict[tuple[str, str], str] = {}

    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        key = (application.partner_id or "", application.request_id or "")
        if application.partner_id and application.request_id and key in self.partner:
            raise DuplicatePartnerRequest(self.partner[key])
        if lock_inn and application.inn_hash in self.locks:
            existing, owner = self.locks[application.inn_hash]
            raise DuplicateApplication(existing, owner)
        if application.application_id in self.apps:
            raise TransientStorageError("transaction cancelled: ConditionalCheckFailed")
        self.apps[application.application_id] = application
        self.hist[application.application_id] = [history]
        if lock_inn and application.inn_hash:
            self.locks[application.inn_hash] = (application.application_id, application.owner_sub)
        if application.partner_id and application.request_id:
            self.partner[key] = application.application_id

    def get(self, application_id: str) -> Application | None:
        return self.apps.get(application_id)

    def history(self, application_id: str) -> list[HistoryEntry]:
        return list(self.hist.get(application_id, []))

    def transition(self, change: Transition) -> None:
        current = self.apps.get(change.application.application_id)
        if current is None or current.version != change.expected_version:
            raise ConcurrentUpdate(change.application.application_id)
        inn_hash = change.application.inn_hash
        if (
            change.release_inn
            and inn_hash
            and self.locks.get(inn_hash, (current.application_id,))[0] != (current.application_id)
        ):
            raise ConcurrentUpdate(current.application_id)  # the table's delete is conditioned on the holder
        if change.acquire_inn and change.application.inn_hash:
            if change.application.inn_hash in self.locks:
                existing, owner = self.locks[change.application.inn_hash]
                raise DuplicateApplication(existing, owner)
            self.locks[change.application.inn_hash] = (current.application_id, current.owner_sub)
        self.apps[current.application_id] = change.application
        self.hist[current.application_id].append(change.history)
        if change.release_inn and inn_hash:
            self.locks.pop(inn_hash, None)

    def set_execution(self, application_id: str, execution_arn: str) -> None:
        self.apps[application_id] = self.apps[application_id].model_copy(update={"execution_arn": execution_arn})

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None:
        return self.partner.get((partner_id, request_id))

    def _sorted(self, keep: Callable[[Application], bool], *, by: str, newest_first: bool) -> list[Application]:
        found = [a for a in self.apps.values() if keep(a)]
        return sorted(found, key=lambda a: (getattr(a, by), a.application_id), reverse=newest_first)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Application]:
        mine = self._sorted(lambda a: a.owner_sub == owner_sub, by="created_at", newest_first=True)
        return paged(mine, limit, next_token, f"owner:{owner_sub}")

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[Application]:
        found = self._sorted(lambda a: a.status == status and not _in_review(a), by="updated_at", newest_first=False)
        return paged(found, limit, next_token, f"status:{status}")

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page[Application]:
        found = self._sorted(lambda a: a.inn_hash == inn_hash, by="created_at", newest_first=True)
        return paged(found, limit, next_token, f"inn:{inn_hash}")

    def list_review_queue(self, limit: int, next_token: str | None) -> Page[Application]:
        return paged(self._sorted(_in_review, by="updated_at", newest_first=False), limit, next_token, "review")

    def list_created_before(
        self, shelf: Shelf, cutoff: datetime, limit: int, next_token: str | None
    ) -> Page[Application]:
        def on_shelf(a: Application) -> bool:
            return _in_review(a) if shelf == REVIEW_QUEUE else a.status == shelf and not _in_review(a)

        found = self._sorted(lambda a: on_shelf(a) and a.created_at < cutoff, by="updated_at", newest_first=False)
        return paged(found, limit, next_token, f"shelf:{shelf}:{cutoff.isoformat()}")

    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        found = self._sorted(
            lambda a: a.owner_sub is None and a.snils_hash == snils_hash, by="created_at", newest_first=True
        )
        return found[:limit]

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        app = self.apps.get(application_id)
        if app is None or app.owner_sub is not None or app.snils_hash != snils_hash:
            return False
        self.apps[application_id] = app.model_copy(update={"owner_sub": owner_sub, "version": app.version + 1})
        return True


class InMemoryStageStatistics:
    def __init__(self) -> None:
        self.times: dict[str, tuple[int, float]] = {}

    def record_stage_time(self, stage: str, seconds: float) -> None:
        count, total = self.times.get(stage, (0, 0.0))
        self.times[stage] = (count + 1, total + round(max(seconds, 0.0), 3))

    def stage_times(self) -> dict[str, tuple[int, float]]:
        return dict(self.times)


class InMemoryContactCodes:
    def __init__(self) -> None:
        self.codes: dict[str, ContactCode] = {}

    def put_code(self, application_id: str, code: ContactCode) -> None:
        self.codes[application_id] = code

    def get_code(self, application_id: str) -> ContactCode | None:
        return self.codes.get(application_id)

    def count_wrong_try(self, application_id: str, attempts_seen: int) -> bool:
        code = self.codes.get(application_id)
        if code is None or code.attempts != attempts_seen:
            return False
        self.codes[application_id] = code.model_copy(update={"attempts": attempts_seen + 1})
        return True

    def delete_code(self, application_id: str, code_hash: str) -> bool:
        code = self.codes.get(application_id)
        if code is None or code.code_hash != code_hash:
            return False
        del self.codes[application_id]
        return True


class InMemoryDocumentRecords:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, object]]] = {}

    def put_document(self, application_id: str, document: dict[str, object]) -> None:
        self.docs.setdefault(application_id, {})[str(document["document_id"])] = dict(document)

    def get_document(self, application_id: str, document_id: str) -> dict[str, object] | None:
        found = self.docs.get(application_id, {}).get(document_id)
        return dict(found) if found is not None else None

    def list_documents(self, application_id: str) -> list[dict[str, object]]:
        return [dict(d) for _, d in sorted(self.docs.get(application_id, {}).items())]


class FakeFns:
    def __init__(self, records: dict[str, FnsRecord] | None = None, failures: int = 0) -> None:
        self.records = records or {}
        self.failures = failures
        self.calls = 0
        self.requests: dict[str, str | None] = {}

    def lookup(self, inn: str) -> FnsRecord | None:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise FnsUnavailable("simulated")
        return self.records.get(inn)

    def submit_inn_request(self, query: InnQuery) -> str:
        """The "Узнать ИНН" request answered at once: found by passport and birth date, or not."""
        request_id = f"req-{len(self.requests) + 1}"
        self.requests[request_id] = next(
            (
                r.inn
                for r in self.records.values()
                if (r.passport_series, r.passport_number, r.birth_date)
                == (query.passport_series, query.passport_number, query.birth_date)
            ),
            None,
        )
        return request_id

    def poll_inn_request(self, request_id: str) -> tuple[str, str | None]:
        inn = self.requests.get(request_id)
        return ("found", inn) if inn else ("not_found", None)


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # (channel, to, text)

    def send_sms(self, phone: str, text: str) -> None:
        self.sent.append(("sms", phone, text))

    def send_email(self, to: str, subject: str, text: str) -> None:
        self.sent.append(("email", to, text))

    def last_code(self) -> str:
        import re

        found = re.search(r"\b(\d{6})\b", self.sent[-1][2])
        assert found
        return found.group(1)


class FakeCallbacks:
    def __init__(self) -> None:
        self.resumed: list[str] = []

    def succeed(self, task_token: str, output: dict[str, object]) -> None:
        self.resumed.append(task_token)


class FakeDocumentStore:
    def presign_upload(self, key: str, content_type: str, size: int, expires_seconds: int) -> dict[str, object]:
        return {"url": "https://bucket.test/", "fields": {"key": key, "Content-Type": content_type}}

    def presign_download(self, key: str, expires_seconds: int) -> str:
        return f"https://bucket.test/{key}?expires={expires_seconds}"


class InMemoryJournal:
    """AccessJournal in memory: newest first, paged like the table."""

    def __init__(self) -> None:
        self.entries: list[AccessEntry] = []

    def record(self, entries: Sequence[AccessEntry]) -> None:
        self.entries.extend(entries)

    def list(self, subject_sub: str, limit: int, next_token: str | None) -> Page[AccessEntry]:
        mine = sorted(
            (e for e in self.entries if e.subject_sub == subject_sub), key=lambda e: (e.at, e.entry_id), reverse=True
        )
        return paged(mine, limit, next_token, f"journal:{subject_sub}")

    def reassign(self, from_subject: str, to_subject: str) -> int:
        moved = [e for e in self.entries if e.subject_sub == from_subject]
        self.entries = [e for e in self.entries if e.subject_sub != from_subject]
        self.entries.extend(e.model_copy(update={"subject_sub": to_subject}) for e in moved)
        return len(moved)


class InMemoryTickets:
    """TicketRepository in memory: versions checked like the table's conditional writes."""

    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}
        self.msgs: dict[str, list[TicketMessage]] = {}
        self.complaints: dict[str, Complaint] = {}
        self.counters: dict[str, int] = {}

    def next_number(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def create(self, ticket: Ticket, messages: Sequence[TicketMessage] = ()) -> bool:
        if ticket.ticket_id in self.tickets:
            return False
        self.tickets[ticket.ticket_id] = ticket
        self.msgs[ticket.ticket_id] = list(messages)
        return True

    def get(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def messages(self, ticket_id: str) -> list[TicketMessage]:
        return sorted(self.msgs.get(ticket_id, []), key=lambda m: m.at)

    def save(
        self,
        ticket: Ticket,
        expected_version: int,
        messages: Sequence[TicketMessage] = (),
        complaint: Complaint | None = None,
    ) -> None:
        current = self.tickets.get(ticket.ticket_id)
        if (
            current is None
            or current.version != expected_version
            or (complaint is not None and ticket.ticket_id in self.complaints)
        ):
            raise ConcurrentUpdate(ticket.ticket_id)
        self.tickets[ticket.ticket_id] = ticket
        self.msgs[ticket.ticket_id].extend(messages)
        if complaint is not None:
            self.complaints[ticket.ticket_id] = complaint

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[Ticket]:
        mine = sorted(
            (t for t in self.tickets.values() if t.owner_sub == owner_sub),
            key=lambda t: (t.created_at, t.ticket_id),
            reverse=True,
        )
        return paged(mine, limit, next_token, f"tickets:{owner_sub}")

    def list_by_status(
        self, statuses: Sequence[TicketStatus], limit: int, next_token: str | None, due_before: datetime | None = None
    ) -> Page[Ticket]:
        by_target = sorted(self.tickets.values(), key=lambda t: (t.answer_due_at, t.ticket_id))
        found = [
            t
            for s in statuses
            for t in by_target
            if t.status == s and (due_before is None or t.answer_due_at < due_before)
        ]
        scope = ",".join(s.value for s in statuses) + f":{due_before.isoformat() if due_before else ''}"
        return paged(found, limit, next_token, f"tickets-in:{scope}")


class InMemoryChangeRequests:
    """ChangeRequestStore in memory: versions checked like the table's conditional writes."""

    def __init__(self) -> None:
        self.items: dict[str, ChangeRequest] = {}

    def create(self, request: ChangeRequest) -> None:
        if request.request_id in self.items:
            raise TransientStorageError("ConditionalCheckFailedException")
        self.items[request.request_id] = request

    def get(self, request_id: str) -> ChangeRequest | None:
        return self.items.get(request_id)

    def save(self, request: ChangeRequest, expected_version: int) -> None:
        current = self.items.get(request.request_id)
        if current is None or current.version != expected_version:
            raise ConcurrentUpdate(request.request_id)
        self.items[request.request_id] = request

    def _sorted(self, keep: Callable[[ChangeRequest], bool], newest_first: bool) -> list[ChangeRequest]:
        found = [r for r in self.items.values() if keep(r)]
        return sorted(found, key=lambda r: (r.created_at, r.request_id), reverse=newest_first)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        mine = self._sorted(lambda r: r.owner_sub == owner_sub, newest_first=True)
        return paged(mine, limit, next_token, f"changes:{owner_sub}")

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page[ChangeRequest]:
        found = self._sorted(lambda r: r.status == status, newest_first=False)
        return paged(found, limit, next_token, f"changes-in:{status}")


class FailingNotifier(FakeNotifier):
    def send_sms(self, phone: str, text: str) -> None:
        raise RuntimeError("sms gateway down")
