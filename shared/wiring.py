"""Builds the adapters a handler needs from its settings, once per execution environment."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from shared.config import (
    ContactSettings,
    DocumentSettings,
    FnsSettings,
    LookupSettings,
    StorageSettings,
    SubmissionSettings,
    SupportSettings,
    settings,
)
from shared.workflow_steps import StepDeps

if TYPE_CHECKING:
    from shared.adapters.dynamodb import DynamoApplicationRepository
    from shared.adapters.dynamodb_journal import DynamoAccessJournal
    from shared.adapters.dynamodb_tickets import DynamoTicketRepository
    from shared.adapters.fns_http import HttpFnsRegistry
    from shared.adapters.kms_hasher import KmsKeyedHasher
    from shared.contact import ContactDeps
    from shared.profile_changes import ChangeDeps
    from shared.review import ReviewDeps
    from shared.submission import SubmissionDeps
    from shared.tickets import TicketDeps


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def repository() -> DynamoApplicationRepository:
    from shared.adapters.dynamodb import DynamoApplicationRepository

    return DynamoApplicationRepository(settings(StorageSettings).table_name)


@cache
def journal() -> DynamoAccessJournal:
    from shared.adapters.dynamodb_journal import DynamoAccessJournal

    return DynamoAccessJournal(settings(StorageSettings).table_name)


@cache
def change_deps() -> ChangeDeps:
    from shared.adapters.dynamodb_changes import DynamoChangeRequests
    from shared.adapters.s3_documents import S3DocumentStore
    from shared.profile_changes import ChangeDeps

    return ChangeDeps(
        store=DynamoChangeRequests(settings(StorageSettings).table_name),
        applications=repository(),
        documents=S3DocumentStore(settings(DocumentSettings).documents_bucket),
        clock=SystemClock(),
    )


def step_deps() -> StepDeps:
    return StepDeps(repo=repository(), clock=SystemClock())


@cache
def submission_deps() -> SubmissionDeps:
    from shared.adapters.kms_hasher import KmsKeyedHasher
    from shared.adapters.stepfunctions import StepFunctionsWorkflow
    from shared.submission import SubmissionDeps

    cfg = settings(SubmissionSettings)
    return SubmissionDeps(
        repo=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        workflow=StepFunctionsWorkflow(cfg.state_machine_arn, cfg.code_ttl_seconds),
        clock=SystemClock(),
    )


@cache
def fns_registry() -> HttpFnsRegistry:
    from shared.adapters.fns_http import HttpFnsRegistry

    cfg = settings(FnsSettings)
    return HttpFnsRegistry(cfg.fns_base_url, cfg.fns_timeout_seconds)


@cache
def lookup_hasher() -> KmsKeyedHasher:
    """The keyed hash of a found INN (the same key as at submission, for the one-application lock)."""
    from shared.adapters.kms_hasher import KmsKeyedHasher

    return KmsKeyedHasher(settings(LookupSettings).hash_key_id)


@cache
def review_deps() -> ReviewDeps:
    from shared.adapters.callbacks import StepFunctionsCallbacks
    from shared.adapters.s3_documents import S3DocumentStore
    from shared.review import ReviewDeps

    return ReviewDeps(
        repo=repository(),
        store=S3DocumentStore(settings(DocumentSettings).documents_bucket),
        callbacks=StepFunctionsCallbacks(),
        clock=SystemClock(),
    )


@cache
def contact_deps() -> ContactDeps:
    from datetime import timedelta

    from shared.adapters.callbacks import StepFunctionsCallbacks
    from shared.adapters.kms_hasher import KmsKeyedHasher
    from shared.adapters.notify import AwsNotifier
    from shared.contact import ContactDeps

    cfg = settings(ContactSettings)
    return ContactDeps(
        repo=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        notifier=AwsNotifier(cfg.email_sender),
        callbacks=StepFunctionsCallbacks(),
        clock=SystemClock(),
        code_ttl=timedelta(seconds=cfg.code_ttl_seconds),
    )


@cache
def ticket_repository() -> DynamoTicketRepository:
    from shared.adapters.dynamodb_tickets import DynamoTicketRepository

    return DynamoTicketRepository(settings(StorageSettings).table_name)


@cache
def support_deps() -> TicketDeps:
    from shared.adapters.kms_hasher import KmsKeyedHasher
    from shared.adapters.notify import AwsNotifier
    from shared.adapters.s3_documents import S3DocumentStore
    from shared.tickets import TicketDeps

    cfg = settings(SupportSettings)
    return TicketDeps(
        tickets=ticket_repository(),
        applications=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        notifier=AwsNotifier(cfg.email_sender),
        store=S3DocumentStore(cfg.documents_bucket),
        clock=SystemClock(),
    )


def reset() -> None:
    """Tests swap environments between cases."""
    for cached in (
        repository,
        journal,
        change_deps,
        submission_deps,
        fns_registry,
        contact_deps,
        lookup_hasher,
        review_deps,
        ticket_repository,
        support_deps,
    ):
        cached.cache_clear()
