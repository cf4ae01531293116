"""The profile API function (change requests and their documents, the citizen's access log) and its rights."""

from __future__ import annotations

from constructs import Construct

from infra.components.documents import Documents
from infra.components.service_function import FunctionRuntime, ServiceFunction
from infra.components.storage import Storage


class Profile(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, runtime: FunctionRuntime, storage: Storage, documents: Documents
    ) -> None:
        super().__init__(scope, construct_id)
        fn = ServiceFunction(
            self,
            "ProfileApiFunction",
            runtime=runtime,
            folder="profile",
            handler="functions.profile.handler.handler",
            timeout=15,
        )
        fn.grant_items(storage.table, indexes=True)  # a citizen's requests; the operators' queue
        fn.grant_journal(storage.table)
        fn.grant_objects(
            documents.bucket,
            "profile/",
            "Change-request documents are objects under profile/<request id>/<document id>.",
        )
        self.function = fn
