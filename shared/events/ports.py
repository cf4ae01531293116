"""Where status events go: the event bus, and the place for changes that cannot become events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.events.status_changed import ApplicationStatusChanged, Unpublishable


class EventPublisher(Protocol):
    def publish(self, events: Sequence[ApplicationStatusChanged]) -> list[int]:
        """Publish in order; the indexes of the events that were not accepted."""


class SetAside(Protocol):
    def record(self, failure: Unpublishable) -> None:
        """Keep an unpublishable change's position and reason where operators look (never its data)."""
