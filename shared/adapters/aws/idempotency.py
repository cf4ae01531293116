"""The Deduplicator port on Powertools' idempotency utility (a DynamoDB table of request keys).

Built once per execution environment (shared/wiring.py). A repeat of a request key answers the
stored first result; a repeat with another body hash raises IdempotencyValidationError and one
while the first still runs IdempotencyAlreadyInProgressError (shared/api/errors.py answers both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class PowertoolsDeduplicator:
    def __init__(
        self, table_name: str, lambda_context: Callable[[], Any], ttl_seconds: int = IDEMPOTENCY_TTL_SECONDS
    ) -> None:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

        self._store = DynamoDBPersistenceLayer(table_name=table_name)
        self._config = IdempotencyConfig(
            event_key_jmespath="[owner, key]",
            payload_validation_jmespath="body_hash",
            expires_after_seconds=ttl_seconds,
            hash_function="sha256",
        )
        self._lambda_context = lambda_context

    def once(self, request: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        context = self._lambda_context()
        if context is not None:  # its remaining time bounds an in-progress record (a crash frees the key)
            self._config.register_lambda_context(context)

        @idempotent_function(data_keyword_argument="request", persistence_store=self._store, config=self._config)
        def run(request: dict[str, str]) -> dict[str, Any]:
            return work()

        result: dict[str, Any] = run(request=request)
        return result
