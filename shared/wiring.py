"""Builds the adapters a handler needs from its settings, once per execution environment."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from shared.core.config import (
    ContactSettings,
    DocumentSettings,
    FnsSettings,
    LookupSettings,
    StorageSettings,
    SubmissionSettings,
    SupportSettings,
    settings,
)

if TYPE_CHECKING:
    from shared.adapters.aws.idempotency import PowertoolsDeduplicator
    from shared.adapters.aws.kms_hasher import KmsKeyedHasher
    from shared.adapters.dynamodb.applications import DynamoApplicationStore
    from shared.adapters.dynamodb.contact_codes import DynamoContactCodes
    from shared.adapters.dynamodb.documents import DynamoDocumentRecords
    from shared.adapters.dynamodb.journal import DynamoAccessJournal
    from shared.adapters.dynamodb.stage_statistics import DynamoStageStatistics
    from shared.adapters.dynamodb.tickets import DynamoTicketRepository
    from shared.adapters.http.fns import HttpFnsRegistry
    from shared.adapters.http.idp import HttpIdentityProvider
    from shared.applications.intake import IntakeDeps
    from shared.applications.office import ClaimDeps
    from shared.applications.submission import SubmissionDeps
    from shared.contact.confirmation import ContactDeps
    from shared.events.ports import EventPublisher, SetAside
    from shared.events.status_changed import StreamChange
    from shared.onboarding.service import ApplicationsDeps
    from shared.profile.changes import ChangeDeps
    from shared.profile.service import ProfileDeps
    from shared.review.decisions import ReviewDeps
    from shared.support.deadlines import DeadlineDeps
    from shared.support.service import SupportDeps
    from shared.support.tickets import TicketDeps
    from shared.verification.steps import StepDeps


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def repository() -> DynamoApplicationStore:
    """The applications (ApplicationStore) and their claims (Claims): one adapter serves both."""
    from shared.adapters.dynamodb.applications import DynamoApplicationStore

    return DynamoApplicationStore(settings(StorageSettings).table_name)


@cache
def stage_statistics() -> DynamoStageStatistics:
    from shared.adapters.dynamodb.stage_statistics import DynamoStageStatistics

    return DynamoStageStatistics(settings(StorageSettings).table_name)


@cache
def contact_codes() -> DynamoContactCodes:
    from shared.adapters.dynamodb.contact_codes import DynamoContactCodes

    return DynamoContactCodes(settings(StorageSettings).table_name)


@cache
def document_records() -> DynamoDocumentRecords:
    from shared.adapters.dynamodb.documents import DynamoDocumentRecords

    return DynamoDocumentRecords(settings(StorageSettings).table_name)


@cache
def journal() -> DynamoAccessJournal:
    from shared.adapters.dynamodb.journal import DynamoAccessJournal

    return DynamoAccessJournal(settings(StorageSettings).table_name)


@cache
def change_deps() -> ChangeDeps:
    from shared.adapters.aws.s3_documents import S3DocumentStore
    from shared.adapters.dynamodb.changes import DynamoChangeRequests
    from shared.profile.changes import ChangeDeps

    return ChangeDeps(
        store=DynamoChangeRequests(settings(StorageSettings).table_name),
        applications=repository(),
        stats=stage_statistics(),
        documents=S3DocumentStore(settings(DocumentSettings).documents_bucket),
        clock=SystemClock(),
    )


def step_deps() -> StepDeps:
    from shared.verification.steps import StepDeps

    return StepDeps(repo=repository(), stats=stage_statistics(), clock=SystemClock())


@cache
def submission_deps() -> SubmissionDeps:
    from shared.adapters.aws.kms_hasher import KmsKeyedHasher
    from shared.adapters.aws.stepfunctions import StepFunctionsWorkflow
    from shared.applications.submission import SubmissionDeps

    cfg = settings(SubmissionSettings)
    return SubmissionDeps(
        repo=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        workflow=StepFunctionsWorkflow(cfg.state_machine_arn, cfg.code_ttl_seconds),
        clock=SystemClock(),
    )


@cache
def fns_registry() -> HttpFnsRegistry:
    from shared.adapters.http.fns import HttpFnsRegistry

    cfg = settings(FnsSettings)
    return HttpFnsRegistry(cfg.fns_base_url, cfg.fns_timeout_seconds)


@cache
def lookup_hasher() -> KmsKeyedHasher:
    """The keyed hash of a found INN (the same key as at submission, for the one-application lock)."""
    from shared.adapters.aws.kms_hasher import KmsKeyedHasher

    return KmsKeyedHasher(settings(LookupSettings).hash_key_id)


@cache
def review_deps() -> ReviewDeps:
    from shared.adapters.aws.callbacks import StepFunctionsCallbacks
    from shared.adapters.aws.s3_documents import S3DocumentStore
    from shared.review.decisions import ReviewDeps

    return ReviewDeps(
        repo=repository(),
        records=document_records(),
        stats=stage_statistics(),
        store=S3DocumentStore(settings(DocumentSettings).documents_bucket),
        callbacks=StepFunctionsCallbacks(),
        clock=SystemClock(),
    )


@cache
def contact_deps() -> ContactDeps:
    from datetime import timedelta

    from shared.adapters.aws.callbacks import StepFunctionsCallbacks
    from shared.adapters.aws.kms_hasher import KmsKeyedHasher
    from shared.adapters.aws.notify import AwsNotifier
    from shared.contact.confirmation import ContactDeps

    cfg = settings(ContactSettings)
    return ContactDeps(
        repo=repository(),
        codes=contact_codes(),
        stats=stage_statistics(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        notifier=AwsNotifier(cfg.email_sender),
        callbacks=StepFunctionsCallbacks(),
        clock=SystemClock(),
        code_ttl=timedelta(seconds=cfg.code_ttl_seconds),
    )


@cache
def ticket_repository() -> DynamoTicketRepository:
    from shared.adapters.dynamodb.tickets import DynamoTicketRepository

    return DynamoTicketRepository(settings(StorageSettings).table_name)


@cache
def support_deps() -> TicketDeps:
    from shared.adapters.aws.kms_hasher import KmsKeyedHasher
    from shared.adapters.aws.notify import AwsNotifier
    from shared.adapters.aws.s3_documents import S3DocumentStore
    from shared.support.tickets import TicketDeps

    cfg = settings(SupportSettings)
    return TicketDeps(
        tickets=ticket_repository(),
        applications=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        notifier=AwsNotifier(cfg.email_sender),
        store=S3DocumentStore(cfg.documents_bucket),
        clock=SystemClock(),
    )


def deadline_deps() -> DeadlineDeps:
    from shared.support.deadlines import DeadlineDeps

    return DeadlineDeps(repo=repository(), stats=stage_statistics(), tickets=ticket_repository(), clock=SystemClock())


def claim_deps() -> ClaimDeps:
    from shared.applications.office import ClaimDeps

    return ClaimDeps(repo=repository(), hasher=submission_deps().hasher, journal=journal())


@cache
def identity_provider() -> HttpIdentityProvider:
    from shared.adapters.http.idp import HttpIdentityProvider
    from shared.core.config import PrefillSettings

    return HttpIdentityProvider(settings(PrefillSettings).idp_userinfo_url)


@cache
def deduplicator() -> PowertoolsDeduplicator:
    """The idempotency store of `POST /applications` (a retried POST answers its first result)."""
    from shared.adapters.aws.idempotency import PowertoolsDeduplicator
    from shared.api.resolver import lambda_context

    return PowertoolsDeduplicator(settings(SubmissionSettings).idempotency_table_name, lambda_context)


@cache
def signed_xml_trust_store() -> bytes | None:
    """The packaged PEM bundle of CAs trusted for signed applications, read once per execution
    environment; None: the channel is closed."""
    from pathlib import Path

    from shared.core.config import SignedXmlSettings

    name = settings(SignedXmlSettings).trust_store
    if not name:
        return None
    return (Path(__file__).resolve().parent.parent / name).read_bytes()


@cache
def applications() -> ApplicationsDeps:
    """The applications API's ports, each group built on its first use."""
    from shared.onboarding.service import ApplicationsDeps, StageTimes

    return ApplicationsDeps(
        submission=submission_deps,
        contact=contact_deps,
        review=review_deps,
        steps=step_deps,
        journal=journal,
        claims=claim_deps,
        identity=identity_provider,
        deduplicator=deduplicator,
        trust_store=signed_xml_trust_store,
        stage_times=StageTimes(lambda: stage_statistics().stage_times()),
    )


@cache
def profile() -> ProfileDeps:
    """The profile API's ports."""
    from shared.profile.service import ProfileDeps

    return ProfileDeps(changes=change_deps, journal=journal)


@cache
def support() -> SupportDeps:
    """The support API's ports."""
    from shared.support.service import SupportDeps

    return SupportDeps(tickets=support_deps, journal=journal)


@cache
def intake() -> IntakeDeps:
    """Partner intake's ports: the submission path, the journal, the dead-letter queue."""
    from shared.adapters.aws.dead_letters import SqsDeadLetters
    from shared.applications.intake import IntakeDeps
    from shared.core.config import IntakeSettings

    return IntakeDeps(
        submission=submission_deps,
        journal=journal,
        dead_letters=lambda: SqsDeadLetters(settings(IntakeSettings).intake_dlq_url),
    )


@cache
def event_outlets() -> tuple[EventPublisher, SetAside]:
    """The bus that status changes go to, and the queue that keeps the ones it would not take."""
    from shared.adapters.aws.eventbridge import EventBridgePublisher, SqsSetAside
    from shared.core.config import EventSettings

    cfg = settings(EventSettings)
    return EventBridgePublisher(cfg.event_bus_name), SqsSetAside(cfg.publish_failures_url)


def status_changes(event: dict[str, Any]) -> list[StreamChange]:
    """A stream batch's application changes (the key formats stay with the DynamoDB adapter)."""
    from shared.adapters.dynamodb.stream import application_changes

    return application_changes(event)


def reset() -> None:
    """Tests swap environments between cases."""
    for cached in (
        repository,
        stage_statistics,
        contact_codes,
        document_records,
        journal,
        change_deps,
        submission_deps,
        fns_registry,
        contact_deps,
        lookup_hasher,
        review_deps,
        ticket_repository,
        support_deps,
        identity_provider,
        deduplicator,
        applications,
        profile,
        support,
        intake,
        event_outlets,
        signed_xml_trust_store,
    ):
        cached.cache_clear()
