"""S3 ObjectCreated events from the documents bucket: record each upload on its application."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import get_logger
from shared.review import record_upload
from shared.wiring import review_deps

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    recorded = 0
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        key = unquote_plus(s3.get("object", {}).get("key", ""))  # S3 event keys arrive URL-encoded
        size = int(s3.get("object", {}).get("size", 0))
        app = record_upload(review_deps(), key, size)
        if app is not None:
            recorded += 1
            logger.info("document uploaded", extra={"application_id": app.application_id})
        else:
            logger.warning("object with no document record", extra={"key_prefix": key.split("/")[0]})
    return {"recorded": recorded}
