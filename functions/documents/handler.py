"""S3 ObjectCreated events from the documents bucket: record each upload on its application
(`applications/…`) or profile change request (`profile/…`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.observability import get_logger
from shared.review.decisions import record_upload
from shared.wiring import review_deps

logger = get_logger()


def _record(key: str, size: int) -> dict[str, str] | None:
    """The record the upload belongs to (ids only, for the log), None for a stray object."""
    if key.startswith("profile/"):
        from shared.profile.changes import record_upload as record_change_upload
        from shared.wiring import change_deps

        request = record_change_upload(change_deps(), key, size)
        return {"request_id": request.request_id} if request else None
    app = record_upload(review_deps(), key, size)
    return {"application_id": app.application_id} if app else None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    recorded = 0
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        key = unquote_plus(s3.get("object", {}).get("key", ""))  # S3 event keys arrive URL-encoded
        size = int(s3.get("object", {}).get("size", 0))
        found = _record(key, size)
        if found:
            recorded += 1
            logger.info("document uploaded", extra=found)
        else:
            logger.warning("object with no document record", extra={"key_prefix": key.split("/")[0]})
    return {"recorded": recorded}
