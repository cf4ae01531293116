"""Keyed hashes through a KMS HMAC key: the key never leaves KMS, so a table dump alone cannot
be matched against a list of INNs (GOV.UK One Login's habit for lookups on personal data)."""

from __future__ import annotations

from functools import lru_cache

from shared.core.clients import client


class KmsKeyedHasher:
    def __init__(self, key_id: str) -> None:
        self._key_id = key_id

    def digest(self, value: str) -> str:
        return _mac(self._key_id, value)


@lru_cache(maxsize=256)
def _mac(key_id: str, value: str) -> str:
    response = client("kms").generate_mac(KeyId=key_id, Message=value.encode(), MacAlgorithm="HMAC_SHA_256")
    return bytes(response["Mac"]).hex()
