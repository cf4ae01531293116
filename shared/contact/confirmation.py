"""Contact confirmation: a 6-digit code by SMS (or email), valid CODE_TTL, at most MAX_TRIES wrong
tries, resent at most once a minute; the workflow waits on a task token until it is confirmed.

The code itself is never stored: only its keyed hash (bound to the application), with a TTL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.applications.lifecycle import advance, on_fresh
from shared.applications.models import Application, RejectionReason, RequiredAction, Stage, Status
from shared.applications.ports import ApplicationStore, StageStatistics
from shared.contact.ports import ContactCode, ContactCodeStore
from shared.core.errors import Conflict, DomainError, ErrorKind, FieldError, InvalidInput, RateLimited
from shared.core.identifiers import mask
from shared.core.messages import REJECTIONS, action_text, field_text
from shared.core.metrics import emit
from shared.core.ports import Clock, KeyedHasher, Notifier, TaskCallbacks

MAX_TRIES = 5
RESEND_INTERVAL = timedelta(seconds=60)


def _six_digits() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class ConfirmationRequest(BaseModel):
    """`POST /applications/{id}/confirmation`: the code from the SMS or the email."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    code: str


class ContactsChange(BaseModel):
    """`PATCH /applications/{id}/contacts`: at least one of these, each checked as in the application
    (shared/applications/validation.py `parse_contacts`)."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    phone: str | None = None
    email: str | None = None
    confirmation_channel: Literal["sms", "email"] | None = None


def parse_confirmation(body: dict[str, object]) -> ConfirmationRequest:
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput([FieldError(field="code", code="missing_field", message=field_text("code_missing"))])
    return ConfirmationRequest(code=code.strip())


@dataclass
class ContactDeps:
    repo: ApplicationStore
    codes: ContactCodeStore
    stats: StageStatistics
    hasher: KeyedHasher
    notifier: Notifier
    callbacks: TaskCallbacks
    clock: Clock
    code_ttl: timedelta = timedelta(minutes=10)
    new_code: Callable[[], str] = field(default_factory=lambda: _six_digits)


def _hash(deps: ContactDeps, application_id: str, code: str) -> str:
    return deps.hasher.digest(f"contact-code:{application_id}:{code}")


def destination(app: Application) -> tuple[str, str]:
    body = app.body
    return ("email", body.email) if body.confirmation_channel == "email" else ("sms", body.phone)


def masked_destination(app: Application) -> str:
    channel, to = destination(app)
    if channel == "email":
        name, _, domain = to.partition("@")
        return f"{name[:1]}***@{domain}"
    return "+7******" + to[-4:] if to.startswith("+7") else mask(to)


def confirm_action(app: Application, expired: bool = False) -> RequiredAction:
    where = masked_destination(app)
    message = action_text("confirm_contact", "expired" if expired else None, where=where)
    return RequiredAction(code="confirm_contact", message=message)


def awaiting_code(app: Application) -> bool:
    return app.stage is Stage.CONTACT_CONFIRMATION and app.status in (Status.IN_PROGRESS, Status.NEEDS_CLARIFICATION)


def send_code(deps: ContactDeps, app: Application) -> ContactCode:
    """Issue a fresh code (the previous one stops working) and send it to the current contact."""
    now = deps.clock.now()
    code = deps.new_code()
    record = ContactCode(
        code_hash=_hash(deps, app.application_id, code), issued_at=now, expires_at=now + deps.code_ttl, attempts=0
    )
    deps.codes.put_code(app.application_id, record)
    minutes = max(1, int(deps.code_ttl.total_seconds() // 60))
    text = (
        f"Код подтверждения для подключения личного кабинета налогоплательщика: {code}. "
        f"Действует {minutes} мин. Никому его не сообщайте."
    )
    channel, to = destination(app)
    try:
        if channel == "email":
            deps.notifier.send_email(to, "Код подтверждения — личный кабинет налогоплательщика", text)
        else:
            deps.notifier.send_sms(to, text)
    except Exception:
        emit("ContactCodesFailed", channel=channel)
        raise
    emit("ContactCodesSent", channel=channel)
    return record


def confirm(deps: ContactDeps, app: Application, code: str) -> Application:
    if not awaiting_code(app):
        raise Conflict("no_code_pending")
    record = deps.codes.get_code(app.application_id)
    now = deps.clock.now()
    if record is None:
        raise DomainError("code_expired", ErrorKind.INVALID)
    if record.attempts >= MAX_TRIES:
        raise RateLimited("code_locked")
    if now > record.expires_at:
        raise DomainError("code_expired", ErrorKind.INVALID)
    well_formed = code.isascii() and code.isdigit() and len(code) == 6
    if not well_formed or _hash(deps, app.application_id, code) != record.code_hash:
        # Conditional on the attempts we saw: concurrent wrong tries each count once.
        deps.codes.count_wrong_try(app.application_id, record.attempts)
        raise DomainError(
            "code_invalid", ErrorKind.INVALID, extra={"tries_left": max(0, MAX_TRIES - record.attempts - 1)}
        )
    if not deps.codes.delete_code(app.application_id, record.code_hash):
        raise Conflict("no_code_pending")  # a concurrent confirmation used it
    if app.task_token:
        deps.callbacks.succeed(app.task_token, {"confirmed": True})
    return _resume(deps, app)


def _resume(deps: ContactDeps, app: Application) -> Application:
    def confirmed(current: Application) -> Application:
        if not awaiting_code(current):
            return current  # the resumed workflow already moved it on
        return advance(
            deps.repo,
            deps.stats,
            current,
            now=deps.clock.now(),
            status=Status.IN_PROGRESS,
            stage=Stage.FNS_CHECK,
            note="Контакт подтверждён. Идёт сверка с реестром ФНС.",
            required_actions=[],
            task_token=None,
        )

    return on_fresh(deps.repo, app, confirmed)


def resend(deps: ContactDeps, app: Application) -> ContactCode:
    if not awaiting_code(app):
        raise Conflict("no_code_pending")
    previous = deps.codes.get_code(app.application_id)
    now = deps.clock.now()
    # Once a minute; a code living less than two minutes (a test setting) may be renewed at half-life.
    interval = min(RESEND_INTERVAL, deps.code_ttl / 2)
    if previous is not None and now - previous.issued_at < interval:
        wait = interval - (now - previous.issued_at)
        raise RateLimited("resend_too_soon", retry_after=max(1, int(wait.total_seconds()) + 1))
    return send_code(deps, app)


def change_contacts(deps: ContactDeps, app: Application, changes: dict[str, str]) -> Application:
    """A wrong phone or email is corrected while the code is awaited; a new code goes to the new contact."""
    if not awaiting_code(app):
        raise Conflict("no_code_pending")
    body = app.body.model_copy(update=changes)
    updated = advance(
        deps.repo,
        deps.stats,
        app,
        now=deps.clock.now(),
        status=app.status,
        stage=app.stage,
        note="Контактные данные исправлены; новый код отправлен.",
        body=body,
        required_actions=[confirm_action(app.model_copy(update={"body": body}))],
    )
    send_code(deps, updated)
    return updated


def workflow_waits(deps: ContactDeps, app: Application, task_token: str, *, expired: bool) -> Application:
    """The workflow's side: remember where to resume; send the first code, or mark it expired.

    The citizen may act at the same moment (a corrected contact, a resend): a lost race is re-read
    and retried, and a code already issued and still valid is not replaced by another.
    """

    def wait(current: Application) -> Application:
        if not awaiting_code(current):
            raise RuntimeError("the application no longer waits for a contact code")
        if expired:
            return advance(
                deps.repo,
                deps.stats,
                current,
                now=deps.clock.now(),
                status=Status.NEEDS_CLARIFICATION,
                stage=Stage.CONTACT_CONFIRMATION,
                note="Код не был введён вовремя. Запросите новый код.",
                task_token=task_token,
                required_actions=[confirm_action(current, expired=True)],
            )
        return advance(
            deps.repo,
            deps.stats,
            current,
            now=deps.clock.now(),
            status=Status.IN_PROGRESS,
            stage=Stage.CONTACT_CONFIRMATION,
            note=f"Ожидаем код подтверждения, отправленный на {masked_destination(current)}.",
            task_token=task_token,
            required_actions=[confirm_action(current)],
        )

    updated = on_fresh(deps.repo, app, wait)
    current_code = deps.codes.get_code(app.application_id)
    if not expired and (current_code is None or current_code.expires_at <= deps.clock.now()):
        send_code(deps, updated)
    return updated


def abandon(deps: ContactDeps, app: Application) -> Application:
    return advance(
        deps.repo,
        deps.stats,
        app,
        now=deps.clock.now(),
        status=Status.REJECTED,
        stage=Stage.COMPLETED,
        note="Контакт не подтверждён в течение 30 дней.",
        task_token=None,
        required_actions=[],
        rejection_reasons=[
            RejectionReason(
                code="contact_not_confirmed",
                message=REJECTIONS["contact_not_confirmed"][0],
                fix=REJECTIONS["contact_not_confirmed"][1],
            )
        ],
    )
