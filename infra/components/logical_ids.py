"""Logical ids kept across a move in the construct tree, so a deploy replaces nothing.

CloudFormation identifies a resource by its logical id, and CDK derives that id from the
construct's path. When the functions moved from one `Functions` construct into the constructs of
their concerns (and the WAF into a module of its own), their paths changed; replacing a function's
log group would drop its logs, and replacing a function renames it. A stack that `KeepsLogicalIds`
computes the ids of a moved subtree from the path it had before, with CDK's own algorithm
(`make_unique_id`, checked against CDK's ids by tests/infra/test_logical_ids.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from aws_cdk import CfnElement, Stack
from constructs import IConstruct

_HIDDEN = "Default"  # left out of the id altogether
_HIDDEN_FROM_HUMAN = "Resource"  # left out of the readable part, kept in the hash
_MAX_HUMAN = 240
_MAX_ID = 255


def make_unique_id(components: Sequence[str]) -> str:
    """CDK's logical id of the path `components` (below the stack): aws-cdk-lib's makeUniqueId."""
    parts = [c for c in components if c != _HIDDEN]
    if not parts:
        raise ValueError("no path components")
    if len(parts) == 1:
        candidate = _alnum(parts[0])
        if len(candidate) <= _MAX_ID:
            return candidate
    digest = hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    deduped: list[str] = []
    for part in parts:
        if not deduped or not deduped[-1].endswith(part):
            deduped.append(part)
    human = "".join(_alnum(p) for p in deduped if p != _HIDDEN_FROM_HUMAN)[:_MAX_HUMAN]
    return human + digest


def _alnum(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def path_in_stack(construct: IConstruct) -> tuple[str, ...]:
    """The construct ids from below its stack down to `construct` (what CDK's logical ids are made of)."""
    stack = Stack.of(construct)
    scopes = construct.node.scopes
    return tuple(s.node.id for s in scopes[scopes.index(stack) + 1 :])


class KeepsLogicalIds(Stack):
    """A stack whose moved subtrees keep the logical ids of their former paths."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._moved: dict[tuple[str, ...], tuple[str, ...]] = {}

    def keep(self, construct: IConstruct, former_path: Sequence[str]) -> None:
        """Resources at or under `construct` get the ids they had at `former_path` (below the stack)."""
        former = tuple(former_path)
        if former in self._moved.values():
            raise ValueError(f"two subtrees would take the ids of {'/'.join(former)}")
        self._moved[path_in_stack(construct)] = former

    def _allocate_logical_id(self, cfn_element: CfnElement) -> str:
        path = path_in_stack(cfn_element)
        for length in range(len(path), 0, -1):
            former = self._moved.get(path[:length])
            if former is not None:
                return make_unique_id(former + path[length:])
        return super()._allocate_logical_id(cfn_element)


def keep_logical_ids(construct: IConstruct, former_path: Sequence[str]) -> None:
    """`KeepsLogicalIds.keep` in a stack that keeps them; elsewhere (a construct alone in a test) a no-op."""
    stack = Stack.of(construct)
    if isinstance(stack, KeepsLogicalIds):
        stack.keep(construct, former_path)
