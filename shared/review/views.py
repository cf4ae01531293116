"""The operators' review queue as they see it: the status view plus what differed, what failed and
the documents the citizen sent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.applications.models import StatusView
from shared.review.decisions import DocumentView


class ReviewItem(StatusView):
    """An application in the operators' review queue: what differed, what failed, the documents."""

    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    mismatches: list[str]
    failure: dict[str, str] | None
    documents: list[DocumentView]


class ReviewPage(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at its first answer, not at import

    items: list[ReviewItem]
    next_token: str | None
