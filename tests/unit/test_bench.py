"""`make bench` keeps working: its import-ratio part on one handler (one run, a few seconds), its
cost model and its table, and the floor's state machine, without starting a local cloud."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import cost, floor, imports
from bench.__main__ import render


def test_import_ratio_of_one_handler() -> None:
    result = imports.measure(["functions.activate_cabinet.handler"], repeats=1, warmup=False)
    handler = result["handlers"]["functions.activate_cabinet.handler"]
    assert result["boto3"]["median_s"] > 0 and handler["median_s"] > 0
    # the ratio is taken before the times are rounded for the report: equal to the rounded figures' within 0.01
    assert handler["ratio"] == pytest.approx(handler["median_s"] / result["boto3"]["median_s"], abs=0.011)
    assert isinstance(handler["met"], bool) and "median of 1" in result["how"]
    assert handler["with_boto3_ratio"] == pytest.approx(
        handler["with_boto3_median_s"] / result["boto3"]["median_s"], abs=0.011
    )


def test_entry_points_are_every_handler_module() -> None:
    found = imports.entry_points()
    assert "functions.submit_application.intake" in found
    assert "functions.verify_inn.handler" in found
    assert all(not m.endswith("__init__") for m in found)


def test_dynamodb_item_size_and_capacity_rules() -> None:
    item = {"pk": {"S": "APP#1"}, "sk": {"S": "META"}, "n": {"N": "123"}, "ok": {"BOOL": True}}
    assert cost.item_size(item) == (2 + 5) + (2 + 4) + (1 + 3) + (2 + 1)
    capacity = cost.Capacity(gsis=("gsi1",))
    big = {**item, "blob": {"S": "x" * 1500}, "gsi1pk": {"S": "A"}, "gsi1sk": {"S": "1"}}
    capacity.write("TransactWriteItems", big, None, transactional=True)  # 2 KB: 2 WRU, twice; + a GSI put
    assert capacity.units["TransactWriteItems"]["wru"] == 2 * 2 + 2
    moved = {**big, "gsi1pk": {"S": "B"}}
    capacity.write("UpdateItem", moved, big)  # the index key changed: delete + put in the index
    assert capacity.units["UpdateItem"]["wru"] == 2 + 2 + 2
    capacity.read("GetItem", 0)  # a consistent read of nothing still costs one unit
    assert capacity.units["GetItem"]["rru"] == 1


def _functions() -> dict[str, dict]:
    counters = {
        "w1.json": {
            "function": "TaxCabinetStack-FunctionsPartnerIntakeFunction6F19DF02-X",
            "calls": {"DynamoDB:GetItem": 4, "KMS:GenerateMac": 2, "SFN:StartExecution": 2},
            "invocations": 2,
            "seconds": 0.5,
            "billed_ms": 502,
            "cpu_seconds": 0.02,
            "aws_seconds": 0.4,
        }
    }
    before = {"w1.json": {**counters["w1.json"], "calls": {"DynamoDB:GetItem": 2}, "invocations": 1}}
    before["w1.json"].update(seconds=0.25, billed_ms=251, cpu_seconds=0.01, aws_seconds=0.2)
    return cost.delta(before, counters)


def test_counter_deltas_usage_cost_and_table() -> None:
    functions = _functions()
    intake = functions["PartnerIntake"]
    assert intake["invocations"] == 1 and intake["calls"]["DynamoDB:GetItem"] == 2
    assert intake["calls"]["KMS:GenerateMac"] == 2
    usage = cost.usage(
        count=1,
        functions=functions,
        transitions_per_execution=6,
        capacity_by_operation={"GetItem": {"wru": 0, "rru": 4}},
        floor_calls={"DynamoDB:GetItem": 2},
        log_bytes=2000,
        sfn_log_bytes_per_execution=3000,
        api_requests_per_application=0,
        partner=True,
        outcome_messages_per_application=2,
    )
    assert usage["calls_by_service"]["DynamoDB"] == {"GetItem": 2}
    assert usage["units"]["dynamodb_rru"] == 4  # 2 calls x the floor's 2 units a call
    assert usage["units"]["stepfunctions_standard_transition"] == 6
    priced = cost.cost(usage["units"])
    assert priced["lines"]["stepfunctions_standard_transition"]["usd_per_million_applications"] == 150.0
    assert priced["usd_per_million_applications"] == round(
        sum(line["usd_per_million_applications"] for line in priced["lines"].values()), 2
    )
    table = render({"cost": {"paths": {"partner": {**usage, "cost": priced}}}})
    assert "StartExecution 2" in table and "150.00" in table


def test_floor_state_machine_keeps_the_states_without_lambda() -> None:
    definition = floor.floor_definition()
    states = definition["States"]
    assert not [name for name, state in states.items() if state["Type"] == "Task"]
    assert states["VerifyInn"] == {
        "Type": "Pass",
        "Result": {"outcome": "match"},
        "ResultPath": "$.verification",
        "Next": "RouteByOutcome",
    }
    json.dumps(definition)  # a valid definition document


def test_the_floor_drops_a_second_delivery_as_the_intake_function_does() -> None:
    from botocore.exceptions import ClientError

    def cancelled(*codes: str) -> ClientError:
        response: Any = {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": c} for c in codes],
        }
        return ClientError(response, "TransactWriteItems")

    assert floor._duplicate(cancelled("None", "None", "ConditionalCheckFailed", "ConditionalCheckFailed"))
    assert not floor._duplicate(cancelled("ConditionalCheckFailed", "None", "None", "None"))
    throttled: Any = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
    assert not floor._duplicate(ClientError(throttled, "TransactWriteItems"))
