"""Step Functions task (`.waitForTaskToken`): the workflow's side of contact confirmation.

`send` keeps the task token and sends the first code; `expired` keeps the new token and asks the
citizen for a new code (needs_clarification); `abandoned` rejects after 30 days. The API resumes
the workflow with the stored token once the right code is entered.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.applications.lifecycle import load
from shared.contact.confirmation import abandon, workflow_waits
from shared.core.observability import get_logger
from shared.core.tasks import TaskInput, task_input
from shared.wiring import contact_deps

logger = get_logger()


class ContactTask(TaskInput):
    action: Literal["send", "expired", "abandoned"]
    task_token: str | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task_input(event, logger)
    task = ContactTask.model_validate(event)
    deps = contact_deps()
    app = load(deps.repo, task.application_id)
    if task.action == "abandoned":
        abandon(deps, app)
    else:
        if not task.task_token:
            raise ValueError("a task token is required to wait for the citizen")
        workflow_waits(deps, app, task.task_token, expired=task.action == "expired")
    logger.info("contact step", extra={"action": task.action})
    return {"action": task.action}
