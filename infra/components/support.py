"""Support: the tickets API function, the hourly deadline sweep that opens tickets for stalled
applications, and their rights."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.components.documents import Documents
from infra.components.encryption import Encryption
from infra.components.service_function import FunctionRuntime, ServiceFunction
from infra.components.storage import Storage


class Support(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: FunctionRuntime,
        storage: Storage,
        encryption: Encryption,
        documents: Documents,
    ) -> None:
        super().__init__(scope, construct_id)
        api = ServiceFunction(
            self,
            "SupportApiFunction",
            runtime=runtime,
            folder="support_ticket",
            handler="functions.support_ticket.handler.handler",
            timeout=15,
        )
        api.grant_items(storage.table, indexes=True)  # a citizen's tickets; the desk by status
        api.grant_journal(storage.table)
        api.grant_keyed_hash(encryption.lookup_key)  # the INN of a ticket, as a keyed hash
        api.grant_notifications(runtime.settings.email_sender)  # answer notices
        api.grant_objects(
            documents.bucket,
            "support/",
            "Ticket screenshots are objects under support/<ticket id>/screenshot: keys made per ticket.",
        )
        self.api_function = api

        sweep = ServiceFunction(
            self,
            "DeadlineSweepFunction",
            runtime=runtime,
            folder="support_ticket",
            handler="functions.support_ticket.escalation.handler",
            timeout=120,
        )
        sweep.grant_items(storage.table, indexes=True)  # the status index finds the stale ones
        schedule = events.Rule(
            self,
            "DeadlineSweepSchedule",
            description="Hourly: applications not finished in 15 days open a support ticket",
            schedule=events.Schedule.rate(Duration.hours(1)),
            targets=[targets.LambdaFunction(sweep, retry_attempts=2)],
        )
        runtime.keep_former_ids(schedule)
        self.sweep_function = sweep
