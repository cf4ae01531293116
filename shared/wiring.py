"""Builds the adapters a handler needs from its settings, once per execution environment."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from shared.config import FnsSettings, StorageSettings, SubmissionSettings, settings
from shared.workflow_steps import StepDeps


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@cache
def repository():  # type: ignore[no-untyped-def]
    from shared.adapters.dynamodb import DynamoApplicationRepository

    return DynamoApplicationRepository(settings(StorageSettings).table_name)


def step_deps() -> StepDeps:
    return StepDeps(repo=repository(), clock=SystemClock())


@cache
def submission_deps():  # type: ignore[no-untyped-def]
    from shared.adapters.kms_hasher import KmsKeyedHasher
    from shared.adapters.stepfunctions import StepFunctionsWorkflow
    from shared.submission import SubmissionDeps

    cfg = settings(SubmissionSettings)
    return SubmissionDeps(
        repo=repository(),
        hasher=KmsKeyedHasher(cfg.hash_key_id),
        workflow=StepFunctionsWorkflow(cfg.state_machine_arn),
        clock=SystemClock(),
    )


@cache
def fns_registry():  # type: ignore[no-untyped-def]
    from shared.adapters.fns_http import HttpFnsRegistry

    cfg = settings(FnsSettings)
    return HttpFnsRegistry(cfg.fns_base_url, cfg.fns_timeout_seconds)


def reset() -> None:
    """Tests swap environments between cases."""
    for cached in (repository, submission_deps, fns_registry):
        cached.cache_clear()
