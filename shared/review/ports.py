"""What the review stores: the records of the documents asked for and uploaded (the files
themselves are in a bucket, behind shared.core.ports.DocumentStore)."""

from __future__ import annotations

from typing import Protocol


class DocumentRecords(Protocol):
    def put_document(self, application_id: str, document: dict[str, object]) -> None:
        """Store (or replace) the record of one document, keyed by its `document_id`."""

    def get_document(self, application_id: str, document_id: str) -> dict[str, object] | None: ...

    def list_documents(self, application_id: str) -> list[dict[str, object]]: ...
