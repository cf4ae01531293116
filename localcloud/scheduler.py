"""Runs the template's scheduled EventBridge rules (moto never fires a schedule): each rule's
Lambda targets are invoked through moto's Lambda API at the rule's rate, and on demand
(`POST /_local/schedules/run`, for tests and demos that cannot wait an hour)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from localcloud.template import find_getatt, resources_of_type

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


@dataclass(frozen=True)
class Schedule:
    rule: str
    seconds: int
    functions: tuple[str, ...]  # physical names


def read_schedules(template: dict[str, Any], function_names: dict[str, str]) -> list[Schedule]:
    schedules = []
    for logical, resource in resources_of_type(template, "AWS::Events::Rule").items():
        props = resource["Properties"]
        match = re.fullmatch(r"rate\((\d+) (\w+)\)", str(props.get("ScheduleExpression", "")))
        if not match or match.group(2) not in _UNITS:
            continue
        targets = tuple(
            function_names[t]
            for t in (find_getatt(x.get("Arn")) for x in props.get("Targets", []))
            if t in function_names
        )
        schedules.append(Schedule(logical, int(match.group(1)) * _UNITS[match.group(2)], targets))
    return schedules


class Scheduler:
    def __init__(self, schedules: list[Schedule], lambda_client: Any) -> None:
        self._schedules = schedules
        self._lambda = lambda_client
        self._stop = threading.Event()

    def run_all(self) -> list[dict[str, Any]]:
        results = []
        for schedule in self._schedules:
            for name in schedule.functions:
                event = {"source": "aws.events", "detail-type": "Scheduled Event", "resources": [schedule.rule]}
                reply = self._lambda.invoke(FunctionName=name, Payload=json.dumps(event).encode())
                results.append(
                    {
                        "rule": schedule.rule,
                        "function": name,
                        "error": reply.get("FunctionError"),
                        "result": json.loads(reply["Payload"].read()),
                    }
                )
        return results

    def start(self) -> None:
        for schedule in self._schedules:
            threading.Thread(target=self._loop, args=(schedule,), name=f"schedule-{schedule.rule}", daemon=True).start()

    def _loop(self, schedule: Schedule) -> None:
        while not self._stop.wait(schedule.seconds):
            for name in schedule.functions:
                self._lambda.invoke(FunctionName=name, Payload=b'{"source": "aws.events"}')

    def stop(self) -> None:
        self._stop.set()
