"""ApplicationStatusChanged: which stream records make an event, what it carries (and never carries),
its committed JSON Schema, and how a batch is published in order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shared.adapters.dynamodb import keys as table_keys
from shared.adapters.dynamodb.applications import application_attrs
from shared.adapters.dynamodb.base import to_item
from shared.adapters.dynamodb.stream import application_changes
from shared.applications.models import Application, RejectionReason, Stage, Status
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.events.status_changed import (
    SCHEMA_VERSION,
    ApplicationStatusChanged,
    StreamChange,
    Unpublishable,
    publish_changes,
    scrub,
    status_change,
)
from tests.support.data import CITIZEN, partner
from tests.support.fakes import VALID_BODY, FakeHasher, FakeWorkflow, FixedClock, InMemoryApplications

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs/schemas/application-status-changed.v1.json").read_text()
)
PARTNER = partner("bank-1", "req-42")
PERSONAL = ("500100732259", "11223344595", "112-233-445 95", "123456", "Иванов", "9123456789", "ivanov@example.ru")


def _application(origin: Origin = PARTNER) -> Application:
    repo = InMemoryApplications()
    deps = SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), FixedClock())
    body = {**VALID_BODY, "channel": origin.default_channel.value}
    return submit(body, origin, deps, "c1").application


def _image(app: Application) -> dict[str, Any]:
    """The META item exactly as the repository stores it (what the stream's images hold)."""
    return json.loads(json.dumps(application_attrs(app)))


def _change(new: Application | None, old: Application | None = None, seq: str = "1", **keys: str) -> StreamChange:
    app = new or old
    assert app is not None
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    return StreamChange(
        sequence_number=seq,
        event_name=name,
        keys=keys or table_keys.application(app.application_id),
        old_image=_image(old) if old else None,
        new_image=_image(new) if new else None,
    )


def _rejected(app: Application, reason: RejectionReason) -> Application:
    return app.model_copy(
        update={
            "status": Status.REJECTED,
            "stage": Stage.COMPLETED,
            "version": app.version + 1,
            "rejection_reasons": [reason],
            "updated_at": datetime(2026, 11, 27, 9, 5, tzinfo=UTC),
        }
    )


def test_a_new_partner_application_makes_its_first_event() -> None:
    app = _application()
    event = status_change(_change(app))
    assert event is not None
    assert event.model_dump(mode="json") == {
        "schema_version": SCHEMA_VERSION,
        "partner_id": "bank-1",
        "request_id": "req-42",
        "application_id": app.application_id,
        "status": "in_progress",
        "rejection_reasons": [],
        "application_version": 1,
        "changed_at": app.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_only_a_changed_status_makes_an_event() -> None:
    app = _application()
    moved = app.model_copy(update={"stage": Stage.FNS_CHECK, "version": 2})
    assert status_change(_change(moved, app)) is None  # same status, another stage
    ready = moved.model_copy(update={"status": Status.READY, "stage": Stage.COMPLETED, "version": 3})
    event = status_change(_change(ready, moved))
    assert event is not None and event.status is Status.READY and event.application_version == 3


@pytest.mark.parametrize(
    "keys",
    [
        table_keys.key(table_keys.application_partition("a"), table_keys.history_sort("2026-11-27T09:00:00Z", 1)),
        table_keys.contact_code("a"),
        table_keys.document("a", "d1"),
        table_keys.inn_lock("h"),
        table_keys.partner_request("bank-1", "req-42"),
        table_keys.ticket("deadline-a"),
        table_keys.change_request("cr-1"),
    ],
)
def test_other_items_make_no_event(keys: dict[str, str]) -> None:
    """The stream's reader passes on application items only: history lines, locks, partner keys
    and tickets never reach the event rules, even with an application-like image."""
    app = _application()
    image = to_item(application_attrs(app))

    def record(seq: str, item_keys: dict[str, str]) -> dict[str, Any]:
        return {
            "eventID": seq,
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": to_item(item_keys),
                "NewImage": image,
                "SequenceNumber": seq,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }

    changes = application_changes(
        {"Records": [record("1", keys), record("2", table_keys.application(app.application_id))]}
    )
    assert [c.sequence_number for c in changes] == ["2"]
    assert status_change(changes[0]) is not None


def test_a_removed_application_makes_no_event() -> None:
    app = _application()
    assert status_change(_change(None, app)) is None


def test_other_channels_publish_without_a_partner() -> None:
    event = status_change(_change(_application(CITIZEN)))
    assert event is not None and event.partner_id is None and event.request_id is None


def test_rejection_reasons_travel_without_personal_data() -> None:
    app = _application()
    reason = RejectionReason(
        code="operator_rejected",
        message="Паспорт 45 09 123456 не совпадает с ИНН 500100732259, пишите на ivanov@example.ru",
        fix="Позвоните +7 912 345-67-89",
    )
    event = status_change(_change(_rejected(app, reason), app))
    assert event is not None and event.status is Status.REJECTED
    (sent,) = event.rejection_reasons
    assert sent.code == "operator_rejected" and "не совпадает" in sent.message
    text = event.model_dump_json()
    for value in ("123456", "500100732259", "ivanov@example.ru", "345-67-89", "912"):
        assert value not in text


def test_the_event_carries_nothing_of_the_applicants_data() -> None:
    app = _application()
    text = json.dumps(status_change(_change(app)).model_dump(mode="json"), ensure_ascii=False)  # type: ignore[union-attr]
    stored = json.dumps(_image(app), ensure_ascii=False)
    assert sum(value in stored for value in PERSONAL) >= 5
    for value in PERSONAL:
        if value in stored:  # the stored item holds it (as given or normalised) ...
            assert value not in text, value  # ... the event does not


def test_scrub_keeps_short_numbers_and_words() -> None:
    assert scrub("Подайте снова в течение 10 минут, 30 дней") == "Подайте снова в течение 10 минут, 30 дней"
    assert scrub("СНИЛС 112-233-445 95") == "СНИЛС [скрыто]"


def test_a_broken_item_is_unpublishable_not_a_crash() -> None:
    app = _application()
    change = _change(app)
    assert change.new_image is not None
    broken = StreamChange("7", "INSERT", change.keys, None, {**change.new_image, "status": "lost"})
    with pytest.raises(Unpublishable) as raised:
        status_change(broken)
    assert raised.value.problem == "status:enum" and "lost" not in str(raised.value)
    missing = StreamChange(
        "8", "INSERT", change.keys, None, {k: v for k, v in change.new_image.items() if k != "version"}
    )
    with pytest.raises(Unpublishable, match="version"):
        status_change(missing)


# --- the committed schema --------------------------------------------------------------------


def test_built_events_validate_against_the_committed_schema() -> None:
    app = _application()
    reason = RejectionReason(code="inn_not_found", message="ИНН не найден.", fix="Проверьте ИНН.")
    for event in (
        status_change(_change(app)),
        status_change(_change(_rejected(app, reason), app)),
        status_change(_change(_application(CITIZEN))),
    ):
        assert event is not None
        jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
            json.loads(event.model_dump_json())
        )


def test_schema_and_model_name_the_same_fields() -> None:
    model = ApplicationStatusChanged.model_json_schema()
    assert set(SCHEMA["properties"]) == set(model["properties"])
    assert set(SCHEMA["required"]) == set(model["properties"]), "every field is always present (null if unknown)"
    assert SCHEMA["properties"]["status"]["enum"] == [s.value for s in Status]
    reason = model["$defs"]["OutcomeReason"]
    assert set(SCHEMA["properties"]["rejection_reasons"]["items"]["properties"]) == set(reason["properties"])


def test_schema_accepts_a_later_minor_version_with_a_new_field() -> None:
    """Compatibility rule (docs/events.md): 1.x consumers keep working when a field is added."""
    app = _application()
    event = json.loads(status_change(_change(app)).model_dump_json())  # type: ignore[union-attr]
    jsonschema.validate({**event, "schema_version": "1.1", "new_field": "x"}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**event, "schema_version": "2.0"}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({k: v for k, v in event.items() if k != "partner_id"}, SCHEMA)


# --- publishing a batch ----------------------------------------------------------------------


class Publisher:
    def __init__(self, refuse_from: int | None = None) -> None:
        self.refuse_from = refuse_from
        self.sent: list[ApplicationStatusChanged] = []

    def publish(self, events: Sequence[ApplicationStatusChanged]) -> list[int]:
        self.sent.extend(events)
        return [] if self.refuse_from is None else list(range(self.refuse_from, len(events)))


class Aside:
    def __init__(self) -> None:
        self.kept: list[Unpublishable] = []

    def record(self, failure: Unpublishable) -> None:
        self.kept.append(failure)


def _batch() -> list[StreamChange]:
    first, second = _application(), _application()
    ready = first.model_copy(update={"status": Status.READY, "version": 3})
    return [
        _change(first, seq="10"),
        _change(first.model_copy(update={"stage": Stage.FNS_CHECK, "version": 2}), first, seq="11"),  # no event
        _change(second, seq="12"),
        _change(ready, first, seq="13"),
    ]


def test_a_batch_publishes_its_status_changes_in_stream_order() -> None:
    publisher, aside = Publisher(), Aside()
    result = publish_changes(_batch(), publisher, aside)
    assert [e.status for e in publisher.sent] == [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.READY]
    assert result.retry_from is None and len(result.published) == 3 and aside.kept == []


def test_a_refused_event_makes_lambda_resume_from_its_record() -> None:
    result = publish_changes(_batch(), Publisher(refuse_from=1), Aside())
    assert result.retry_from == "12"  # the second event's record; the first is not sent again
    assert len(result.published) == 1


def test_an_unpublishable_change_is_set_aside_and_the_rest_flow() -> None:
    batch = _batch()
    assert batch[2].new_image is not None
    batch[2] = StreamChange("12", "INSERT", batch[2].keys, None, {**batch[2].new_image, "status": "lost"})
    publisher, aside = Publisher(), Aside()
    result = publish_changes(batch, publisher, aside)
    assert [f.change.sequence_number for f in aside.kept] == ["12"]
    assert [e.status for e in publisher.sent] == [Status.IN_PROGRESS, Status.READY]
    assert result.retry_from is None
