"""In-memory adapters for unit tests of the domain logic (the moto tests cover the real ones)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from shared.applications.models import Application, HistoryEntry
from shared.applications.ports import ContactCode, FnsRecord, Page, Transition
from shared.core.errors import ConcurrentUpdate, DuplicateApplication, DuplicatePartnerRequest, FnsUnavailable

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


class InMemoryRepository:
    def __init__(self) -> None:
        self.apps: dict[str, Application] = {}
        self.hist: dict[str, list[HistoryEntry]] = {}
        self.locks: dict[str, tuple[str, str | None]] = {}
        self.partner: dict[tuple[str, str], str] = {}
        self.times: dict[str, tuple[int, float]] = {}
        self.codes: dict[str, ContactCode] = {}
        self.docs: dict[str, dict[str, dict]] = {}

    def create(self, application: Application, history: HistoryEntry, *, lock_inn: bool) -> None:
        key = (application.partner_id or "", application.request_id or "")
        if application.partner_id and key in self.partner:
            raise DuplicatePartnerRequest(self.partner[key])
        if lock_inn and application.inn_hash in self.locks:
            existing, owner = self.locks[application.inn_hash]
            raise DuplicateApplication(existing, owner)
        self.apps[application.application_id] = application
        self.hist[application.application_id] = [history]
        if lock_inn and application.inn_hash:
            self.locks[application.inn_hash] = (application.application_id, application.owner_sub)
        if application.partner_id:
            self.partner[key] = application.application_id

    def get(self, application_id: str) -> Application | None:
        return self.apps.get(application_id)

    def history(self, application_id: str) -> list[HistoryEntry]:
        return list(self.hist.get(application_id, []))

    def transition(self, change: Transition) -> None:
        current = self.apps[change.application.application_id]
        if current.version != change.expected_version:
            raise ConcurrentUpdate(current.application_id)
        if change.acquire_inn and change.application.inn_hash:
            if change.application.inn_hash in self.locks:
                existing, owner = self.locks[change.application.inn_hash]
                raise DuplicateApplication(existing, owner)
            self.locks[change.application.inn_hash] = (current.application_id, current.owner_sub)
        self.apps[current.application_id] = change.application
        self.hist[current.application_id].append(change.history)
        if change.release_inn and current.inn_hash:
            self.locks.pop(current.inn_hash, None)

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

    def put_document(self, application_id: str, document: dict) -> None:
        self.docs.setdefault(application_id, {})[str(document["document_id"])] = dict(document)

    def get_document(self, application_id: str, document_id: str) -> dict | None:
        return self.docs.get(application_id, {}).get(document_id)

    def list_documents(self, application_id: str) -> list[dict]:
        return list(self.docs.get(application_id, {}).values())

    def list_created_before(self, partition: str, cutoff, limit: int, next_token: str | None) -> Page:  # type: ignore[no-untyped-def]
        def key(a: Application) -> str:
            in_review = a.stage == "review" and a.status == "in_progress"
            return "QUEUE#review" if in_review else f"STATUS#{a.status}"

        return self._page([a for a in self.apps.values() if key(a) == partition and a.created_at < cutoff][:limit])

    def list_review_queue(self, limit: int, next_token: str | None) -> Page:
        waiting = [a for a in self.apps.values() if a.stage == "review" and a.status == "in_progress"]
        return self._page(sorted(waiting, key=lambda a: a.updated_at)[:limit])

    def record_stage_time(self, stage: str, seconds: float) -> None:
        count, total = self.times.get(stage, (0, 0.0))
        self.times[stage] = (count + 1, total + seconds)

    def stage_times(self) -> dict[str, tuple[int, float]]:
        return dict(self.times)

    def find_by_partner_request(self, partner_id: str, request_id: str) -> str | None:
        return self.partner.get((partner_id, request_id))

    def set_execution(self, application_id: str, execution_arn: str) -> None:
        self.apps[application_id] = self.apps[application_id].model_copy(update={"execution_arn": execution_arn})

    def _page(self, items: list[Application]) -> Page:
        return Page(items=items, next_token=None)

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None) -> Page:
        return self._page([a for a in self.apps.values() if a.owner_sub == owner_sub][:limit])

    def list_by_status(self, status: str, limit: int, next_token: str | None) -> Page:
        return self._page([a for a in self.apps.values() if a.status == status][:limit])

    def list_by_inn_hash(self, inn_hash: str, limit: int, next_token: str | None) -> Page:
        return self._page([a for a in self.apps.values() if a.inn_hash == inn_hash][:limit])

    def list_claimable(self, snils_hash: str, limit: int) -> list[Application]:
        return [a for a in self.apps.values() if a.owner_sub is None and a.snils_hash == snils_hash][:limit]

    def claim(self, application_id: str, owner_sub: str, snils_hash: str) -> bool:
        app = self.apps[application_id]
        if app.owner_sub is not None or app.snils_hash != snils_hash:
            return False
        self.apps[application_id] = app.model_copy(update={"owner_sub": owner_sub, "version": app.version + 1})
        return True


class FakeFns:
    def __init__(self, records: dict[str, FnsRecord] | None = None, failures: int = 0) -> None:
        self.records = records or {}
        self.failures = failures
        self.calls = 0

    def lookup(self, inn: str) -> FnsRecord | None:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise FnsUnavailable("simulated")
        return self.records.get(inn)


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
    def __init__(self) -> None:
        from shared.journal.access import AccessEntry

        self.entries: list[AccessEntry] = []

    def record(self, entries) -> None:  # type: ignore[no-untyped-def]
        self.entries.extend(entries)

    def list(self, subject_sub: str, limit: int, next_token: str | None):  # type: ignore[no-untyped-def]
        from shared.journal.access import JournalPage

        mine = sorted((e for e in self.entries if e.subject_sub == subject_sub), key=lambda e: e.at, reverse=True)
        start = int(next_token or 0)
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return JournalPage(items=page, next_token=str(start + limit) if more else None)

    def reassign(self, from_subject: str, to_subject: str) -> int:
        moved = [e for e in self.entries if e.subject_sub == from_subject]
        self.entries = [e for e in self.entries if e.subject_sub != from_subject]
        self.entries.extend(e.model_copy(update={"subject_sub": to_subject}) for e in moved)
        return len(moved)


class InMemoryTickets:
    """TicketRepository in memory: versions checked like the table's conditional writes."""

    def __init__(self) -> None:
        from shared.support.tickets import Complaint, Ticket, TicketMessage

        self.tickets: dict[str, Ticket] = {}
        self.msgs: dict[str, list[TicketMessage]] = {}
        self.complaints: dict[str, Complaint] = {}
        self.counters: dict[str, int] = {}

    def next_number(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def create(self, ticket, messages=()) -> bool:  # type: ignore[no-untyped-def]
        if ticket.ticket_id in self.tickets:
            return False
        self.tickets[ticket.ticket_id] = ticket
        self.msgs[ticket.ticket_id] = list(messages)
        return True

    def get(self, ticket_id: str):  # type: ignore[no-untyped-def]
        return self.tickets.get(ticket_id)

    def messages(self, ticket_id: str):  # type: ignore[no-untyped-def]
        return list(self.msgs.get(ticket_id, []))

    def save(self, ticket, expected_version: int, messages=(), complaint=None) -> None:  # type: ignore[no-untyped-def]
        current = self.tickets[ticket.ticket_id]
        if current.version != expected_version or (complaint is not None and ticket.ticket_id in self.complaints):
            raise ConcurrentUpdate(ticket.ticket_id)
        self.tickets[ticket.ticket_id] = ticket
        self.msgs[ticket.ticket_id].extend(messages)
        if complaint is not None:
            self.complaints[ticket.ticket_id] = complaint

    def list_by_owner(self, owner_sub: str, limit: int, next_token: str | None):  # type: ignore[no-untyped-def]
        from shared.support.tickets import TicketPage

        mine = sorted((t for t in self.tickets.values() if t.owner_sub == owner_sub), key=lambda t: t.created_at)
        return TicketPage(items=list(reversed(mine))[:limit], next_token=None)

    def list_by_status(self, statuses, limit: int, next_token: str | None, due_before=None):  # type: ignore[no-untyped-def]
        from shared.support.tickets import TicketPage

        found = [
            t
            for s in statuses
            for t in sorted(self.tickets.values(), key=lambda t: t.answer_due_at)
            if t.status == s and (due_before is None or t.answer_due_at < due_before)
        ]
        return TicketPage(items=found[:limit], next_token=None)


class FailingNotifier(FakeNotifier):
    def send_sms(self, phone: str, text: str) -> None:
        raise RuntimeError("sms gateway down")
