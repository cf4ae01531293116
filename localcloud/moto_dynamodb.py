"""moto 5.2.5's DynamoDB behind a server that many Lambda workers call at once: two fixes.

Found by the delivery suite (tests/suites/test_delivery.py):
- **Not thread-safe.** `ThreadedMotoServer` serves each request on its own thread and moto's
  DynamoDB has no lock. `DynamoDBBackend.transact_write_items` deep-copies every table it
  touches, to roll back to; a write on another thread during that copy breaks it (`RuntimeError:
  dictionary changed size during iteration`, an HTML 500 that botocore reports as error code
  "500", so the service cannot see it is transient), and a transaction that rolls back puts the
  whole table back as it was, undoing whatever other requests wrote meanwhile. Every DynamoDB
  request now runs under one lock (moto's DynamoDB is pure Python under the GIL: it never ran
  in parallel anyway).
- **A transaction copies the whole table**, about 0.2 ms per item: 0.9 s per transaction on a
  table of 5,000 items, so a local run slowed down as its table grew. The copy now shares the
  table's items except the ones the transaction writes (those are copied), which is all a
  rollback needs; and its stream shard and mappings stay the live ones.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from typing import Any

LOCK = threading.RLock()


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[tuple[Any, Any]]]:
    """(hash, range) keys each table's items the transaction writes or checks."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys: dict[str, set[tuple[Any, Any]]] = defaultdict(set)
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            range_value = DynamoType(attrs[table.range_key_attr]) if table.has_range_key else None
            keys[table.name].add((DynamoType(attrs[table.hash_key_attr]), range_value))
        except Exception:  # noqa: S112 (malformed: moto's own validation reports it)
            continue
    return keys


def _snapshot(table: Any, keys: set[tuple[Any, Any]]) -> Any:
    """What the table looks like now, enough to roll back to: new containers, the same items,
    copies of the items the transaction may change in place (UpdateItem does)."""
    clone = copy.copy(table)
    clone.items = defaultdict(dict)
    for hash_value, value in table.items.items():
        clone.items[hash_value] = dict(value) if table.has_range_key else value
    for hash_value, range_value in keys:
        if hash_value not in clone.items:
            continue
        if table.has_range_key:
            if range_value in clone.items[hash_value]:
                clone.items[hash_value][range_value] = copy.deepcopy(clone.items[hash_value][range_value])
        else:
            clone.items[hash_value] = copy.deepcopy(clone.items[hash_value])
    return clone


class _CopyOnlyTouched:
    """Stands for the `copy` module inside moto.dynamodb.models while one transaction runs."""

    def __init__(self, keys: dict[str, set[tuple[Any, Any]]]) -> None:
        self._keys = keys

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if type(value) is Table:
            return _snapshot(value, self._keys.get(value.name, set()))
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _transactions(original: Any) -> Any:
    import moto.dynamodb.models as models

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with LOCK:
            saved = models.copy
            models.copy = _CopyOnlyTouched(_touched(self, transact_items))  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            finally:
                models.copy = saved

    transact_write_items.localcloud_patched = True  # type: ignore[attr-defined]
    return transact_write_items


def _serialized(original: Any) -> Any:
    def call_action(self: Any) -> Any:
        with LOCK:
            return original(self)

    call_action.localcloud_patched = True  # type: ignore[attr-defined]
    return call_action


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, replacement) for moto's classes; `install()` applies them. After
    localcloud.streams' patch of the same method: this wrapper sets no `__wrapped__`, so it wraps
    theirs (theirs unwraps a `__wrapped__`)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    transact, call = DynamoDBBackend.transact_write_items, DynamoHandler.call_action
    return [
        (DynamoDBBackend, "transact_write_items", transact if _patched(transact) else _transactions(transact)),
        (DynamoHandler, "call_action", call if _patched(call) else _serialized(call)),
    ]


def _patched(method: Any) -> bool:
    return bool(getattr(method, "localcloud_patched", False))


def install() -> None:
    for owner, name, value in patches():
        setattr(owner, name, value)
