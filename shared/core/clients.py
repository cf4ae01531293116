"""boto3 clients, made once per execution environment and only when first used.

Endpoints come from the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, so the
same code talks to AWS, to the local cloud or to an S3/SQS/DynamoDB-compatible service in a
Russian cloud without a code change.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # lazy: handlers that never reach AWS (the authorizer) skip its import cost
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.session.Session().client(service, config=config)


def reset() -> None:
    """Drop cached clients (tests switch endpoints and mocks between cases)."""
    client.cache_clear()
