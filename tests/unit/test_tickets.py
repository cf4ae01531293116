"""Support tickets: validation, answer targets, ownership, the desk's changes, notifications, complaints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.applications.submission import SubmissionDeps, submit
from shared.core.errors import ConcurrentUpdate, Conflict, ErrorKind, InvalidInput, NotFound
from shared.support.models import TicketChannel
from shared.support.requests import parse_change, parse_message, parse_ticket_request
from shared.support.tickets import (
    TicketDeps,
    add_citizen_message,
    answer_due,
    complaint_due,
    file_complaints,
    open_ticket,
    operator_change,
    owned,
)
from shared.support.views import citizen_view as citizen_model
from shared.support.views import desk_item as desk_model
from shared.support.views import operator_view as operator_model
from tests.support.data import CITIZEN, TICKET
from tests.support.fakes import (
    VALID_BODY,
    FailingNotifier,
    FakeDocumentStore,
    FakeHasher,
    FakeNotifier,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryTickets,
)


def citizen_view(*args: Any) -> dict[str, Any]:
    return citizen_model(*args).model_dump(mode="json")


def desk_item(*args: Any) -> dict[str, Any]:
    return desk_model(*args).model_dump(mode="json")


def operator_view(*args: Any) -> dict[str, Any]:
    return operator_model(*args).model_dump(mode="json")


FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def deps(notifier: FakeNotifier | None = None) -> TicketDeps:
    return TicketDeps(
        tickets=InMemoryTickets(),
        applications=InMemoryApplications(),
        hasher=FakeHasher(),
        notifier=notifier or FakeNotifier(),
        store=FakeDocumentStore(),
        clock=FixedClock(FRIDAY),
    )


def codes(raw: object) -> set[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_ticket_request(raw)
    return {(e.field, e.code) for e in caught.value.errors}


def test_a_valid_request_is_normalised() -> None:
    request = parse_ticket_request({**TICKET, "channel": "email", "email": "Ivanov@Example.RU"})
    assert (request.phone, request.email, request.channel) == ("+79123456789", "ivanov@example.ru", "email")


def test_every_field_error_at_once_with_stable_codes() -> None:
    found = codes(
        {
            "inn": "500100732258",
            "full_name": {"last": "Иванов1"},
            "phone": "+7 701 123 45 67",  # Kazakhstan
            "description": "help",
            "channel": "email",
            "screenshot": {"content_type": "image/gif", "size": 6 * 1024 * 1024},
        }
    )
    assert found == {
        ("inn", "inn_checksum"),
        ("full_name.last", "name_format"),
        ("full_name.first", "missing_field"),
        ("phone", "phone_format"),
        ("description", "description_length"),
        ("email", "missing_field"),
        ("screenshot.content_type", "screenshot_type"),
        ("screenshot.size", "screenshot_size"),
    }


def test_inn_checksum_error_suggests_the_numbers_one_typo_away() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_ticket_request({**TICKET, "inn": "500100732258"})
    (error,) = caught.value.errors
    assert error.suggestions == ["500100732259"] and "опечатка" in error.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {("body", "invalid_json")}),
        ({}, {(f, "missing_field") for f in ("inn", "full_name", "phone", "description")}),
        ({**TICKET, "inn": "7707083893"}, {("inn", "inn_format")}),  # an organisation's INN
        ({**TICKET, "channel": "fax"}, {("channel", "invalid_value")}),
        ({**TICKET, "channel": "email", "email": "not-an-email"}, {("email", "email_format")}),
        ({**TICKET, "application_id": "x" * 101}, {("application_id", "application_not_found")}),
    ],
)
def test_refusals(raw: object, expected: set[tuple[str, str]]) -> None:
    assert codes(raw) == expected


def test_answer_targets_by_channel() -> None:
    assert answer_due(TicketChannel.FORM, FRIDAY) == FRIDAY + timedelta(hours=12)
    # email: the end (18:00 Moscow) of the next working day; Friday → Monday
    assert answer_due(TicketChannel.EMAIL, FRIDAY) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    late_friday = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # already Saturday in Moscow
    assert answer_due(TicketChannel.EMAIL, late_friday) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    # ten working days: 30 Nov .. 11 Dec
    assert complaint_due(FRIDAY) == datetime(2026, 12, 11, 15, 0, tzinfo=UTC)


def test_open_stores_the_inn_hashed_and_masked_only() -> None:
    d = deps()
    ticket, upload = open_ticket(d, "u1", parse_ticket_request(TICKET))
    assert (ticket.number, ticket.status, ticket.channel) == ("ЛК-000001", "open", "form")
    assert ticket.inn_hash == FakeHasher().digest("500100732259") and ticket.inn_masked == "********2259"
    assert "500100732259" not in ticket.model_dump_json()
    assert ticket.answer_due_at == ticket.created_at + timedelta(hours=12)
    assert upload is None
    second, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    assert second.number == "ЛК-000002"


def test_a_screenshot_gets_a_presigned_post_under_support() -> None:
    request = parse_ticket_request({**TICKET, "screenshot": {"content_type": "IMAGE/PNG", "size": 2048}})
    ticket, upload = open_ticket(deps(), "u1", request)
    assert upload is not None
    assert upload["fields"] == {"key": f"support/{ticket.ticket_id}/screenshot", "Content-Type": "image/png"}
    assert citizen_view(ticket, [], FRIDAY)["screenshot"] == {"content_type": "image/png", "size": 2048}


def test_an_application_id_must_be_the_callers_own() -> None:
    d = deps()
    repo = d.applications
    assert isinstance(repo, InMemoryApplications)
    app = submit(dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), FixedClock()), "c")
    mine = app.application.application_id
    ticket, _ = open_ticket(d, "u1", parse_ticket_request({**TICKET, "application_id": mine}))
    assert ticket.application_id == mine
    for other_sub, application_id in (("u2", mine), ("u1", "no-such-application")):
        with pytest.raises(InvalidInput) as caught:
            open_ticket(d, other_sub, parse_ticket_request({**TICKET, "application_id": application_id}))
        assert [(e.field, e.code) for e in caught.value.errors] == [("application_id", "application_not_found")]


def test_someone_elses_ticket_is_not_found() -> None:
    d = deps()
    ticket, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    assert owned(d, ticket.ticket_id, "u1") == ticket
    for sub, ticket_id in (("u2", ticket.ticket_id), ("u1", "nope"), ("u1", "x" * 5000)):
        with pytest.raises(NotFound) as caught:
            owned(d, ticket_id, sub)
        assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, "not_found")


def test_assign_answer_resolve_and_the_citizen_is_notified() -> None:
    notifier = FakeNotifier()
    d = deps(notifier)
    ticket, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    assigned = operator_change(d, ticket, "op-1", parse_change({"assignee": "op-7"})).ticket
    assert (assigned.status, assigned.assignee) == ("in_progress", "op-7")
    handled = operator_change(d, assigned, "op-7", parse_change({"answer": "Проверьте, не заблокированы ли SMS."}))
    assert handled.ticket.status == "answered" and handled.ticket.answered_at is not None
    assert handled.notified is True
    ((channel, to, text),) = notifier.sent
    assert (channel, to) == ("sms", "+79123456789") and ticket.number in text
    resolved = operator_change(d, handled.ticket, "op-7", parse_change({"status": "resolved"})).ticket
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    texts = [(m.author, m.text) for m in d.tickets.messages(ticket.ticket_id)]
    assert [a for a, _ in texts] == ["system", "operator", "system"]
    with pytest.raises(Conflict) as closed:
        operator_change(d, resolved, "op-7", parse_change({"answer": "Ещё одно"}))
    assert (closed.value.kind, closed.value.code) == (ErrorKind.CONFLICT, "ticket_closed")
    with pytest.raises(Conflict):
        add_citizen_message(d, resolved, parse_message({"text": "Спасибо"}))


def test_email_channel_gets_the_answer_by_email_too() -> None:
    notifier = FakeNotifier()
    d = deps(notifier)
    request = parse_ticket_request({**TICKET, "channel": "email", "email": "ivanov@example.ru"})
    ticket, _ = open_ticket(d, "u1", request)
    operator_change(d, ticket, "op-1", parse_change({"answer": "Код отправлен повторно."}))
    assert [(c, to) for c, to, _ in notifier.sent] == [("sms", "+79123456789"), ("email", "ivanov@example.ru")]
    assert "Код отправлен повторно." in notifier.sent[1][2]
    assert "Код отправлен повторно." not in notifier.sent[0][2]  # an SMS only says an answer is there


def test_a_failed_delivery_keeps_the_answer() -> None:
    d = deps(FailingNotifier())
    ticket, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    handled = operator_change(d, ticket, "op-1", parse_change({"answer": "Ответ"}))
    stored = d.tickets.get(ticket.ticket_id)
    assert handled.notified is False and stored is not None and stored.status == "answered"


def test_change_requests_are_checked() -> None:
    for raw, expected in (
        ({}, ("body", "missing_field")),
        ({"status": "answered"}, ("answer", "missing_field")),
        ({"status": "open"}, ("status", "invalid_value")),
        ({"answer": ""}, ("answer", "message_length")),
    ):
        with pytest.raises(InvalidInput) as caught:
            parse_change(raw)
        assert [(e.field, e.code) for e in caught.value.errors] == [expected]


def test_a_stale_change_loses_cleanly() -> None:
    d = deps()
    ticket, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    operator_change(d, ticket, "op-1", parse_change({"assignee": "op-1"}))
    with pytest.raises(ConcurrentUpdate):
        operator_change(d, ticket, "op-2", parse_change({"assignee": "op-2"}))


def test_a_follow_up_after_an_answer_goes_back_to_the_desk() -> None:
    d = deps()
    ticket, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    answered = operator_change(d, ticket, "op-1", parse_change({"answer": "Ответ"})).ticket
    follow_up = add_citizen_message(d, answered, parse_message({"text": "Не помогло"}))
    assert follow_up.status == "in_progress" and follow_up.assignee == "op-1"
    assert follow_up.answer_due_at > answered.answer_due_at
    assert follow_up.answered_at == answered.answered_at  # the first answer stopped the complaint clock


def test_ten_working_days_without_an_answer_file_one_complaint() -> None:
    d = deps()
    clock = d.clock
    assert isinstance(clock, FixedClock)
    waiting, _ = open_ticket(d, "u1", parse_ticket_request(TICKET))
    answered, _ = open_ticket(d, "u2", parse_ticket_request(TICKET))
    operator_change(d, answered, "op-1", parse_change({"answer": "Ответ"}))
    clock.at = datetime(2026, 12, 11, 14, 59, tzinfo=UTC)  # the 10th working day, before its end
    assert file_complaints(d.tickets, clock) == []
    clock.at = datetime(2026, 12, 11, 15, 1, tzinfo=UTC)
    assert file_complaints(d.tickets, clock) == ["ЖБ-000001"]
    assert file_complaints(d.tickets, clock) == []  # once
    stored = d.tickets.get(waiting.ticket_id)
    view = citizen_view(stored, d.tickets.messages(waiting.ticket_id), clock.now())
    assert view["complaint"]["number"] == "ЖБ-000001" and view["complaint"]["addressee"] == "ФНС России"
    assert view["overdue"] is True
    assert "жалоба № ЖБ-000001" in view["messages"][-1]["text"]
    untouched = d.tickets.get(answered.ticket_id)
    assert untouched is not None and untouched.complaint is None


def test_views_show_each_side_what_it_needs() -> None:
    d = deps()
    ticket, _ = open_ticket(d, "u1", parse_ticket_request({**TICKET, "channel": "email", "email": "iv@example.ru"}))
    mine = citizen_view(ticket, [], FRIDAY)
    assert (mine["phone_masked"], mine["email_masked"], mine["inn_masked"]) == (
        "+7******6789",
        "i***@example.ru",
        "********2259",
    )
    assert "full_name" not in mine and "owner_sub" not in mine and mine["status_label"] == "Открыто"
    queue = desk_item(ticket, FRIDAY)
    assert "full_name" not in queue and "phone" not in queue and queue["assignee"] is None
    desk = operator_view(ticket, [], FRIDAY, d.store)
    assert desk["full_name"] == {"last": "Иванов", "first": "Иван", "middle": "Иванович"}
    assert desk["phone"] == "+79123456789" and desk["owner_sub"] == "u1"
