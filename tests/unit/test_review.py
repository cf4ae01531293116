"""Documents for a clarification and the operator's decision."""

import pytest

from shared.applications.models import Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from shared.core.errors import Conflict, InvalidInput
from shared.review.decisions import (
    MAX_SIZE,
    ReviewDeps,
    await_documents,
    await_review,
    decide,
    parse_document_request,
    record_upload,
    request_upload,
)
from shared.verification.ports import FnsRecord
from shared.verification.steps import StepDeps, verify
from tests.support.data import CITIZEN, RECORD
from tests.support.fakes import (
    VALID_BODY,
    FakeCallbacks,
    FakeDocumentStore,
    FakeFns,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryDocumentRecords,
    InMemoryStageStatistics,
)


@pytest.fixture
def waiting():
    """An application whose name did not match, the workflow waiting for its documents."""
    repo, clock = InMemoryApplications(), FixedClock()
    app = submit(dict(VALID_BODY), CITIZEN, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c").application
    other = FnsRecord(**{**RECORD.__dict__, "last_name": "Петрова"})
    assert (
        verify(StepDeps(repo, InMemoryStageStatistics(), clock), FakeFns({RECORD.inn: other}), app.application_id)
        == "mismatch"
    )
    deps = ReviewDeps(
        repo=repo,
        records=InMemoryDocumentRecords(),
        stats=InMemoryStageStatistics(),
        store=FakeDocumentStore(),
        callbacks=FakeCallbacks(),
        clock=clock,
    )
    stored = repo.get(app.application_id)
    assert stored is not None
    return deps, await_documents(deps, stored, "docs-token")


def test_document_request_rules() -> None:
    assert (
        parse_document_request({"type": "passport", "content_type": "IMAGE/PNG", "size": 10}).content_type
        == "image/png"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_document_request({"type": "selfie", "content_type": "text/html", "size": MAX_SIZE + 1})
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("type", "document_type"),
        ("content_type", "content_type"),
        ("size", "document_size"),
    }
    with pytest.raises(InvalidInput):
        parse_document_request({"type": "passport"})


def test_all_asked_documents_resume_the_workflow_to_review(waiting) -> None:
    deps, app = waiting
    assert app.status is Status.NEEDS_CLARIFICATION
    asked = next(a for a in app.required_actions if a.code == "upload_documents").documents
    assert asked == ["marriage_certificate", "passport"]
    keys = []
    for kind in asked:
        document, upload = request_upload(
            deps, app, parse_document_request({"type": kind, "content_type": "application/pdf", "size": 1000})
        )
        fields = upload["fields"]
        assert isinstance(fields, dict) and fields["key"] == document.key
        keys.append(document.key)
    record_upload(deps, keys[0], 900)
    assert deps.callbacks.resumed == []  # one of two: keep waiting
    record_upload(deps, keys[1], 900)
    assert deps.callbacks.resumed == ["docs-token"]
    assert record_upload(deps, "elsewhere/x", 1) is None


def test_uploads_before_the_wait_stored_its_token_still_resume(waiting) -> None:
    deps, app = waiting
    early = app.model_copy(update={"task_token": None})  # as if the wait had not stored its token yet
    deps.repo.apps[app.application_id] = early
    for kind in ("marriage_certificate", "passport"):
        document, _ = request_upload(
            deps, early, parse_document_request({"type": kind, "content_type": "application/pdf", "size": 10})
        )
        record_upload(deps, document.key, 10)
    assert deps.callbacks.resumed == []  # no token to resume yet
    await_documents(deps, deps.repo.get(app.application_id), "late-token")
    assert deps.callbacks.resumed == ["late-token"]


def test_review_then_approve_or_reject(waiting) -> None:
    deps, app = waiting
    in_review = await_review(deps, app, "review-token")
    assert (in_review.status, in_review.stage) == (Status.IN_PROGRESS, Stage.REVIEW)
    assert in_review.required_actions[0].code == "wait_review"
    assert deps.repo.list_review_queue(10, None).items[0].application_id == app.application_id
    rejected = decide(deps, in_review, "reject", "Свидетельство о браке не читается", "op-7")
    assert rejected.status is Status.REJECTED
    assert rejected.rejection_reasons[0].message == "Свидетельство о браке не читается"
    assert deps.repo.history(app.application_id)[-1].actor == "op-7"
    assert deps.callbacks.resumed == ["review-token"]
    with pytest.raises(Conflict):
        decide(deps, rejected, "approve", "передумал", "op-7")


def test_approve_moves_to_activation(waiting) -> None:
    deps, app = waiting
    approved = decide(deps, await_review(deps, app, "t"), "approve", "Фамилия сменена браком", "op-1")
    assert (approved.status, approved.stage) == (Status.IN_PROGRESS, Stage.ACTIVATION)


def test_no_documents_for_a_closed_application(waiting) -> None:
    deps, app = waiting
    closed = decide(deps, await_review(deps, app, "t"), "reject", "нет", "op")
    with pytest.raises(Conflict):
        request_upload(deps, closed, parse_document_request({"type": "other", "content_type": "image/jpeg", "size": 1}))
