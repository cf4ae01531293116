"""The applications API function (citizens' applications, their confirmation and documents, the
operators' queue and decisions) and all of its rights."""

from __future__ import annotations

from pathlib import Path

from constructs import Construct

from infra.components.documents import Documents
from infra.components.encryption import Encryption
from infra.components.service_function import FunctionRuntime, ServiceFunction
from infra.components.storage import Storage
from infra.components.workflow import Workflow

TRUST_STORE_FILE = "trust_store.pem"  # at the asset's root, next to shared/


class Applications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: FunctionRuntime,
        storage: Storage,
        encryption: Encryption,
        documents: Documents,
        workflow: Workflow,
    ) -> None:
        super().__init__(scope, construct_id)
        machine = workflow.state_machine
        trust_store = runtime.settings.signed_xml_trust_store
        fn = ServiceFunction(
            self,
            "ApplicationsApiFunction",
            runtime=runtime,
            folder="submit_application",
            handler="functions.submit_application.handler.handler",
            timeout=15,
            values=runtime.values.but(
                state_machine_arn=machine.state_machine_arn,
                **({"trust_store": TRUST_STORE_FILE} if trust_store else {}),
            ),
            extra_files={TRUST_STORE_FILE: Path(trust_store)} if trust_store else None,
        )
        fn.grant_items(storage.table, indexes=True)  # a citizen's applications, the operators' queue
        fn.grant_journal(storage.table)  # the access journal
        storage.idempotency_table.grant_read_write_data(fn)
        fn.grant_keyed_hash(encryption.lookup_key)  # the one-application lock by INN hash, code hashes
        fn.grant_notifications(runtime.settings.email_sender)  # confirmation codes
        fn.grant_objects(
            documents.bucket,
            "applications/",
            "Documents are objects under applications/<id>/<document id>: keys made per upload.",
        )
        machine.grant_start_execution(fn)
        machine.grant_task_response(fn)  # a confirmed contact, an operator's decision resume the workflow
        self.function = fn
