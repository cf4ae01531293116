"""The one submission path shared by every channel (portal, mobile, office, partner).

validate everything → refuse a second active application for the INN → store atomically →
start the workflow named after the application. A crash between storing and starting is healed
by the next attempt (a retried POST or a redelivered partner message): a duplicate that belongs
to the same submitter and has no workflow yet gets it started, so nothing is ever stranded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.applications.models import Application, Channel, HistoryEntry, Stage, Status
from shared.applications.office import snils_lookup_key
from shared.applications.ports import ApplicationStore, WorkflowStarter
from shared.applications.validation import parse_application
from shared.contact.confirmation import confirm_action
from shared.core.errors import DuplicateApplication, DuplicatePartnerRequest, FieldError, InvalidApplication
from shared.core.messages import field_message
from shared.core.metrics import emit
from shared.core.ports import Clock, KeyedHasher


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Origin:
    """Who submits, through which channels; decided by the handler from the token or the queue."""

    allowed_channels: frozenset[Channel]
    default_channel: Channel
    owner_sub: str | None = None
    operator_id: str | None = None
    partner_id: str | None = None
    request_id: str | None = None


@dataclass
class SubmissionDeps:
    repo: ApplicationStore
    hasher: KeyedHasher
    workflow: WorkflowStarter
    clock: Clock
    new_id: Callable[[], str] = field(default_factory=lambda: _new_id)


@dataclass(frozen=True)
class Submitted:
    application: Application
    created: bool


def _channel(raw: dict[str, object], origin: Origin) -> Channel:
    value = raw.get("channel") or origin.default_channel.value
    try:
        channel = Channel(str(value))
    except ValueError:
        channel = None  # reported below with the other errors
    if channel is None or channel not in origin.allowed_channels:
        raise InvalidApplication(
            [FieldError(field="channel", code="channel_not_allowed", message=field_message("channel_not_allowed"))]
        )
    return channel


def submit(raw: object, origin: Origin, deps: SubmissionDeps, correlation_id: str) -> Submitted:
    if origin.partner_id and origin.request_id:
        existing_id = deps.repo.find_by_partner_request(origin.partner_id, origin.request_id)
        if existing_id:
            return Submitted(_ensure_started(deps, existing_id, correlation_id), created=False)

    now = deps.clock.now()
    try:
        body, warnings = parse_application(raw, today=now.date())
    except InvalidApplication as invalid:
        if isinstance(raw, dict):
            try:
                _channel(raw, origin)
            except InvalidApplication as bad_channel:
                invalid.errors.extend(bad_channel.errors)
        raise
    assert isinstance(raw, dict)
    channel = _channel(raw, origin)
    body = body.model_copy(update={"channel": channel})

    application_id = deps.new_id()
    # Portal and mobile applicants confirm their contact; an operator, a partner or a signed XML
    # application has confirmed the identity otherwise.
    confirm_contact = channel in (Channel.PORTAL, Channel.MOBILE)
    stage = Stage.CONTACT_CONFIRMATION if confirm_contact else Stage.FNS_CHECK
    app = Application(
        application_id=application_id,
        status=Status.IN_PROGRESS,
        stage=stage,
        channel=channel,
        owner_sub=origin.owner_sub,
        created_at=now,
        updated_at=now,
        body=body,
        inn_hash=deps.hasher.digest(body.inn) if body.inn else None,  # no INN: found by passport later
        # No account behind an office or partner submission: the citizen claims it by SNILS.
        snils_hash=None if origin.owner_sub else snils_lookup_key(deps.hasher, body.snils),
        partner_id=origin.partner_id,
        request_id=origin.request_id,
        operator_id=origin.operator_id,
        correlation_id=correlation_id,
        warnings=warnings,
    )
    if confirm_contact:
        app = app.model_copy(update={"required_actions": [confirm_action(app)]})
    history = HistoryEntry(
        status=Status.IN_PROGRESS,
        stage=stage,
        at=now,
        note="Заявление принято: все поля прошли проверку. "
        + ("Личность заявителя установлена сотрудником налоговой инспекции. " if channel is Channel.OFFICE else "")
        + ("Отправляем код подтверждения." if confirm_contact else "Идёт сверка с реестром ФНС."),
        actor=origin.operator_id or origin.partner_id or "citizen",
    )
    try:
        deps.repo.create(app, history, lock_inn=True)
    except DuplicatePartnerRequest as dup:  # a concurrent delivery of the same message won the race
        return Submitted(_ensure_started(deps, dup.existing_id, correlation_id), created=False)
    except DuplicateApplication as dup:
        if dup.owner_sub and dup.owner_sub == origin.owner_sub:
            _ensure_started(deps, dup.existing_id, correlation_id)
        raise
    emit("ApplicationsSubmitted", channel=channel.value)
    arn = deps.workflow.start(application_id, correlation_id, confirm_contact=confirm_contact, has_inn=bool(body.inn))
    deps.repo.set_execution(application_id, arn)
    return Submitted(app.model_copy(update={"execution_arn": arn}), created=True)


def _ensure_started(deps: SubmissionDeps, application_id: str, correlation_id: str) -> Application:
    app = deps.repo.get(application_id)
    if app is None:  # the partner key exists only with its application (one transaction)
        raise RuntimeError("partner request refers to a missing application")
    if app.execution_arn is None:
        arn = deps.workflow.start(
            application_id,
            app.correlation_id or correlation_id,
            confirm_contact=app.channel in (Channel.PORTAL, Channel.MOBILE),
            has_inn=bool(app.body.inn),
        )
        deps.repo.set_execution(application_id, arn)
        app = app.model_copy(update={"execution_arn": arn})
    return app
