"""Profile change requests: the documents each change needs, the 5-working-day check, the decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.applications.models import Channel, Stage, Status
from shared.applications.submission import Origin, SubmissionDeps, submit
from shared.core.errors import Conflict, InvalidInput
from shared.profile.changes import (
    ChangeDeps,
    ChangeStatus,
    create,
    decide,
    parse_request,
    record_upload,
)
from shared.review.decisions import DocumentRequest
from tests.support.fakes import (
    VALID_BODY,
    FakeDocumentStore,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryChangeRequests,
    InMemoryStageStatistics,
)


def _deps(ready: bool = True) -> tuple[ChangeDeps, str]:
    repo = InMemoryApplications()
    clock = FixedClock(datetime(2026, 12, 30, 10, 0, tzinfo=UTC))  # the New Year holidays follow
    origin = Origin(allowed_channels=frozenset({Channel.PORTAL}), default_channel=Channel.PORTAL, owner_sub="citizen")
    app = submit(VALID_BODY, origin, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c").application
    if ready:
        repo.apps[app.application_id] = app.model_copy(update={"status": Status.READY, "stage": Stage.COMPLETED})
    counter = iter(range(1000))
    deps = ChangeDeps(
        InMemoryChangeRequests(),
        repo,
        InMemoryStageStatistics(),
        FakeDocumentStore(),
        clock,
        new_id=lambda: f"id-{next(counter)}",
    )
    return deps, app.application_id


PDF = DocumentRequest(type="registration_certificate", content_type="application/pdf", size=100)


def test_each_change_asks_for_its_documents() -> None:
    deps, _ = _deps()
    changes, _ = parse_request(
        {"changes": {"full_name": {"last": "Петрова", "first": "Анна"}, "address": {"text": "г. Тула, ул. Ленина, 1"}}}
    )
    request, uploads = create(deps, "citizen", changes, [])
    assert request.required_documents == ["marriage_certificate", "passport", "registration_certificate"]
    assert request.status is ChangeStatus.AWAITING_DOCUMENTS and request.verification_due_at is None
    assert uploads == []


def test_the_last_upload_starts_a_five_working_day_check() -> None:
    deps, _ = _deps()
    changes, uploads = parse_request(
        {"changes": {"address": {"text": "г. Тула, ул. Ленина, 1"}}, "documents": [PDF.model_dump()]}
    )
    request, views = create(deps, "citizen", changes, uploads)
    assert views[0].upload_url and request.missing_documents() == ["registration_certificate"]
    key = request.documents[0].key
    assert key.startswith(f"profile/{request.request_id}/")
    updated = record_upload(deps, key, 100)
    assert updated is not None and updated.status is ChangeStatus.IN_REVIEW
    # 30 Dec 2026 + 5 working days: 31 Dec and 1–8 Jan are days off in Russia → 15 Jan.
    assert updated.verification_due_at is not None and updated.verification_due_at.date().isoformat() == "2027-01-15"
    assert record_upload(deps, "profile/unknown/doc", 1) is None


def test_approval_rewrites_the_data_with_a_history_line() -> None:
    deps, app_id = _deps()
    changes, _ = parse_request({"changes": {"phone": "8 (912) 000-11-22"}})
    request, _ = create(deps, "citizen", changes, [])
    assert request.status is ChangeStatus.IN_REVIEW  # a phone needs no document
    settled = decide(deps, request, "approve", "Проверено", "op-1")
    assert settled.status is ChangeStatus.APPROVED and settled.decided_by == "op-1"
    app = deps.applications.get(app_id)
    assert app is not None and app.body.phone == "+79120001122" and app.status is Status.READY
    assert "телефон" in deps.applications.history(app_id)[-1].note
    with pytest.raises(Conflict) as again:
        decide(deps, settled, "approve", "Проверено", "op-1")
    assert again.value.code == "change_request_closed"


def test_rejection_says_why_and_what_to_do_and_changes_nothing() -> None:
    deps, app_id = _deps()
    before = deps.applications.get(app_id)
    request, _ = create(deps, "citizen", parse_request({"changes": {"phone": "+79120001122"}})[0], [])
    settled = decide(deps, request, "reject", "Номер чужой", "op-1")
    assert settled.status is ChangeStatus.REJECTED and settled.reason == "Номер чужой" and settled.fix
    assert deps.applications.get(app_id) == before


def test_missing_documents_block_the_decision() -> None:
    deps, _ = _deps()
    request, _ = create(deps, "citizen", parse_request({"changes": {"birth_date": "1990-05-18"}})[0], [])
    with pytest.raises(Conflict) as blocked:
        decide(deps, request, "approve", "Проверено", "op-1")
    assert blocked.value.code == "documents_missing" and "passport" in blocked.value.params["missing"]


def test_no_cabinet_no_change() -> None:
    deps, _ = _deps(ready=False)
    with pytest.raises(Conflict) as refused:
        create(deps, "citizen", parse_request({"changes": {"phone": "+79120001122"}})[0], [])
    assert refused.value.code == "profile_not_found"


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"changes": {}}, {"changes"}),
        ({"changes": {"phone": "123"}}, {"changes.phone"}),
        ({"changes": {"birth_date": "2030-01-01"}}, {"changes.birth_date"}),
        ({"changes": {"nickname": "x"}}, {"changes.nickname"}),
        ({"changes": {"phone": "+79120001122"}, "documents": [{"type": "selfie"}]}, {"type", "content_type", "size"}),
        ("nope", {"body"}),
    ],
)
def test_bad_requests_name_every_field(raw: object, fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as invalid:
        parse_request(raw)
    assert {e.field for e in invalid.value.errors} == fields
    assert all(e.message for e in invalid.value.errors)
