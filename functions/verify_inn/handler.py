"""Step Functions task: the FNS registry steps.

`verify` (default) checks the applicant against the registry; `lookup_submit` / `lookup_poll`
find a missing INN by passport through FNS's asynchronous service, polled by the state machine
(a Wait state between polls, never a sleeping Lambda). Transient FNS faults propagate as
FnsUnavailable, which the state machine retries with backoff.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import get_logger
from shared.core.tasks import TaskInput, task_input
from shared.verification.steps import lookup_poll, lookup_submit, verify
from shared.wiring import fns_registry, lookup_hasher, step_deps

logger = get_logger()


class RegistryTask(TaskInput):
    action: Literal["verify", "lookup_submit", "lookup_poll"] = "verify"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task_input(event, logger)
    task = RegistryTask.model_validate(event)
    if task.action == "lookup_submit":
        lookup_submit(step_deps(), fns_registry(), task.application_id)
        return {"state": "submitted"}
    if task.action == "lookup_poll":
        state = lookup_poll(step_deps(), fns_registry(), lookup_hasher(), task.application_id)
        logger.info("INN lookup polled", extra={"state": state})
        return {"state": state}
    outcome = verify(step_deps(), fns_registry(), task.application_id)
    logger.info("registry check finished", extra={"outcome": outcome})
    return {"outcome": outcome}
