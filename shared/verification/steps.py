"""The workflow's steps as domain logic: verify against FNS, activate, record a failure.

Each step is safe to run twice (Step Functions retries a task whose answer was lost): it first
looks at what the application already records and answers the same outcome again.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.applications.lifecycle import advance, load
from shared.applications.models import ApplicationBody, RejectionReason, RequiredAction, Stage, Status
from shared.applications.ports import ApplicationStore, StageStatistics
from shared.core.errors import ConcurrentUpdate, DuplicateApplication, TransientStorageError
from shared.core.messages import MISMATCHES, REJECTIONS, action_text
from shared.core.ports import Clock, KeyedHasher
from shared.verification.ports import FnsRecord, FnsRegistry, InnQuery

CABINET_FEATURES = ("declarations", "statements", "payments", "notifications")

# What a citizen can bring to settle each mismatch (the document types of docs/api.md).
_DOCUMENTS_FOR = {
    "full_name": ["passport", "marriage_certificate"],
    "birth_date": ["passport"],
    "passport": ["passport"],
}


def clerk_form(text: str | None) -> str:
    """How a registry clerk reads a name: case, extra spaces, ё/е and spaced hyphens don't matter."""
    if not text:
        return ""
    folded = text.casefold().replace("ё", "е")
    folded = "-".join(part.strip() for part in folded.split("-"))
    return " ".join(folded.split())


def mismatches(body: ApplicationBody, record: FnsRecord) -> list[str]:
    found = []
    name = body.full_name
    if (clerk_form(name.last), clerk_form(name.first), clerk_form(name.middle)) != (
        clerk_form(record.last_name),
        clerk_form(record.first_name),
        clerk_form(record.middle_name),
    ):
        found.append("full_name")
    if body.birth_date != record.birth_date:
        found.append("birth_date")
    if record.passport_number and (body.passport.series, body.passport.number) != (
        (record.passport_series or "").replace(" ", ""),
        record.passport_number,
    ):
        found.append("passport")
    return found


@dataclass
class StepDeps:
    repo: ApplicationStore
    stats: StageStatistics
    clock: Clock


def verify(deps: StepDeps, fns: FnsRegistry, application_id: str) -> str:
    """Check the applicant against the registry; returns `match`, `mismatch` or `not_found`."""
    app = load(deps.repo, application_id)
    if app.verification_outcome:
        return app.verification_outcome
    assert app.body.inn is not None
    record = fns.lookup(app.body.inn)
    now = deps.clock.now()
    try:
        if record is None:
            message, fix = REJECTIONS["inn_not_found"]
            advance(
                deps.repo,
                deps.stats,
                app,
                now=now,
                status=Status.REJECTED,
                stage=Stage.COMPLETED,
                note="Отклонено: ИНН не найден в реестре ФНС.",
                verification_outcome="not_found",
                required_actions=[],
                rejection_reasons=[RejectionReason(code="inn_not_found", message=message, fix=fix)],
            )
            return "not_found"
        found = mismatches(app.body, record)
        if found:
            documents = sorted({doc for field in found for doc in _DOCUMENTS_FOR[field]})
            advance(
                deps.repo,
                deps.stats,
                app,
                now=now,
                status=Status.NEEDS_CLARIFICATION,
                stage=Stage.CLARIFICATION,
                note="Данные не совпали с реестром ФНС: " + "; ".join(MISMATCHES[f][0] for f in found),
                verification_outcome="mismatch",
                mismatches=found,
                required_actions=[
                    RequiredAction(
                        code="fix_fields",
                        message=action_text("fix_fields"),
                        fields=found,
                        details=[{"field": f, "message": MISMATCHES[f][0], "fix": MISMATCHES[f][1]} for f in found],
                    ),
                    RequiredAction(
                        code="upload_documents",
                        message=action_text("upload_documents"),
                        documents=documents,
                    ),
                ],
            )
            return "mismatch"
        advance(
            deps.repo,
            deps.stats,
            app,
            now=now,
            status=Status.IN_PROGRESS,
            stage=Stage.ACTIVATION,
            note="Данные совпали с реестром ФНС. Подключаем личный кабинет.",
            verification_outcome="match",
            required_actions=[],
        )
        return "match"
    except ConcurrentUpdate:
        again = load(deps.repo, application_id)
        if again.verification_outcome:
            return again.verification_outcome
        raise TransientStorageError("application changed during verification") from None


def activate(deps: StepDeps, application_id: str) -> str:
    app = load(deps.repo, application_id)
    if app.status is Status.READY:
        return "ready"
    now = deps.clock.now()
    try:
        advance(
            deps.repo,
            deps.stats,
            app,
            now=now,
            status=Status.READY,
            stage=Stage.COMPLETED,
            note="Личный кабинет подключён: декларации, заявления, платежи и уведомления доступны.",
            required_actions=[],
            cabinet={"features": list(CABINET_FEATURES), "activated_at": now.isoformat()},
        )
    except ConcurrentUpdate:
        if load(deps.repo, application_id).status is Status.READY:
            return "ready"
        raise TransientStorageError("application changed during activation") from None
    return "ready"


def record_failure(deps: StepDeps, application_id: str, error: str) -> str:
    """Turn an unexpected workflow failure into a visible state an operator must settle.

    Only the error's type is kept: a Cause may quote input, and input holds personal data.
    """
    app = deps.repo.get(application_id)
    if app is None:
        return "missing"
    if app.status in (Status.READY, Status.REJECTED) or app.failure:
        return "unchanged"
    now = deps.clock.now()
    advance(
        deps.repo,
        deps.stats,
        app,
        now=now,
        status=Status.IN_PROGRESS,
        stage=Stage.REVIEW,
        note="Техническая ошибка при обработке. Заявление передано сотруднику; данные сохранены.",
        required_actions=[RequiredAction(code="wait_review", message=action_text("wait_review"))],
        failure={"error": error[:100], "at": now.isoformat()},
    )
    return "recorded"


def lookup_submit(deps: StepDeps, fns: FnsRegistry, application_id: str) -> str:
    """Ask FNS for the applicant's INN by passport (no INN given); idempotent on retry."""
    app = load(deps.repo, application_id)
    if app.body.inn or app.inn_request_id:
        return app.inn_request_id or ""
    body = app.body
    request_id = fns.submit_inn_request(
        InnQuery(
            last_name=body.full_name.last,
            first_name=body.full_name.first,
            middle_name=body.full_name.middle,
            birth_date=body.birth_date,
            passport_series=body.passport.series,
            passport_number=body.passport.number,
            issued_on=body.passport.issued_on,
        )
    )
    try:
        advance(
            deps.repo,
            deps.stats,
            app,
            now=deps.clock.now(),
            status=Status.IN_PROGRESS,
            stage=Stage.INN_LOOKUP,
            note="ИНН не указан: запросили его в ФНС по паспортным данным.",
            inn_request_id=request_id,
            required_actions=[],
        )
    except ConcurrentUpdate:  # e.g. the contact confirmation finishing its own write: the workflow retries
        raise TransientStorageError("application changed during the INN lookup") from None
    return request_id


def lookup_poll(deps: StepDeps, fns: FnsRegistry, hasher: KeyedHasher, application_id: str) -> str:
    """`working`, `found` (the INN is on the application, its lock taken) or `not_found`."""
    try:
        return _lookup_poll(deps, fns, hasher, application_id)
    except ConcurrentUpdate:  # a concurrent write won: polling again is harmless, the workflow retries
        raise TransientStorageError("application changed during the INN lookup") from None


def _lookup_poll(deps: StepDeps, fns: FnsRegistry, hasher: KeyedHasher, application_id: str) -> str:
    app = load(deps.repo, application_id)
    if app.body.inn:
        return "found"
    if app.status is not Status.IN_PROGRESS or not app.inn_request_id:
        return "not_found"
    state, inn = fns.poll_inn_request(app.inn_request_id)
    now = deps.clock.now()
    if state == "found" and inn:
        body = app.body.model_copy(update={"inn": inn})
        try:
            advance(
                deps.repo,
                deps.stats,
                app,
                now=now,
                status=Status.IN_PROGRESS,
                stage=Stage.FNS_CHECK,
                note="ИНН найден в ФНС по паспортным данным. Идёт сверка с реестром.",
                body=body,
                inn_hash=hasher.digest(inn),
                acquire_inn=True,
            )
        except DuplicateApplication:
            message, fix = REJECTIONS["duplicate_inn"]
            advance(
                deps.repo,
                deps.stats,
                app,
                now=now,
                status=Status.REJECTED,
                stage=Stage.COMPLETED,
                note="По найденному ИНН уже есть заявление в работе или активный кабинет.",
                rejection_reasons=[RejectionReason(code="duplicate_application", message=message, fix=fix)],
            )
            return "not_found"
        return "found"
    if state == "not_found":
        advance(
            deps.repo,
            deps.stats,
            app,
            now=now,
            status=Status.NEEDS_CLARIFICATION,
            stage=Stage.CLARIFICATION,
            note="ФНС не нашла ИНН по паспортным данным.",
            required_actions=[
                RequiredAction(
                    code="fix_fields",
                    fields=["inn", "passport", "full_name", "birth_date"],
                    message=action_text("fix_fields", "inn_not_found"),
                )
            ],
        )
        return "not_found"
    return "working"
