"""Stage durations in the one table (keys.py: `STATS#stage_time` / `<stage>`): StageStatistics.

Two counters per stage (samples, total seconds) grow by atomic ADDs, so writers never conflict.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import keys
from shared.adapters.dynamodb.base import DynamoStore, to_item


class DynamoStageStatistics(DynamoStore):
    def record_stage_time(self, stage: str, seconds: float) -> None:
        # A lost sample only blurs an estimate; the status change itself is already stored.
        with contextlib.suppress(ClientError):
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.stage_time(stage)),
                UpdateExpression="ADD samples :one, total_seconds :s",
                ExpressionAttributeValues=to_item({":one": 1, ":s": Decimal(str(round(max(seconds, 0.0), 3)))}),
            )

    def stage_times(self) -> dict[str, tuple[int, float]]:
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": f"{keys.PK} = :pk",
                "ExpressionAttributeValues": to_item({":pk": keys.STAGE_TIMES}),
            }
        )
        return {
            str(data[keys.SK]): (int(data.get("samples", 0)), float(data.get("total_seconds", 0))) for data in items
        }
