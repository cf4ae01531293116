"""Step Functions task (`.waitForTaskToken`): the human waits after a mismatch.

`await_documents` keeps the token while the citizen uploads what the clarification asked for
(the upload handler resumes it); `await_review` puts the application in the operators' queue
(the operator's decision resumes it).
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.applications.lifecycle import load
from shared.core.observability import get_logger
from shared.core.tasks import TaskInput, task_input
from shared.review.decisions import await_documents, await_review
from shared.wiring import review_deps

logger = get_logger()


class ReviewTask(TaskInput):
    action: Literal["await_documents", "await_review"]
    task_token: str


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    task_input(event, logger)
    task = ReviewTask.model_validate(event)
    deps = review_deps()
    app = load(deps.repo, task.application_id)
    if task.action == "await_documents":
        await_documents(deps, app, task.task_token)
    else:
        await_review(deps, app, task.task_token)
    logger.info("waiting for people", extra={"action": task.action})
    return {"action": task.action}
