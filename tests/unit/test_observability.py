"""Personal data never leaves a log line in the clear."""

import io
import json
import logging

from shared.core.observability import get_logger, mask_text


def test_mask_text_masks_identifiers_but_not_arns_or_ids() -> None:
    text = (
        "inn=500100732259 snils=112-233-445 95 passport=4509 123456 raw=4509123456 phone=+79123456789 "
        "arn:aws:lambda:eu-west-1:123456789012:function:x id=0f92277d-ce45-4071-b47d-fe4760dc3c4c"
    )
    masked = mask_text(text)
    for secret in ("500100732259", "112-233-445 95", "4509 123456", "4509123456", "79123456789"):
        assert secret not in masked
    assert "********2259" in masked
    assert "123456789012:function" in masked
    assert "0f92277d-ce45-4071-b47d-fe4760dc3c4c" in masked


def test_logger_masks_messages_extras_and_exceptions() -> None:
    logger = get_logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        logger.info("lookup for 500100732259", extra={"snils": "112-233-445 95"})
        try:
            raise ValueError("bad passport 4509 123456")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)  # type: ignore[attr-defined]
    output = stream.getvalue()
    assert "500100732259" not in output and "112-233-445 95" not in output and "4509 123456" not in output
    first = json.loads(output.splitlines()[0])
    assert first["message"] == "lookup for ********2259"
